// A bare WebSocket echo server on the ws package, as its README writes one: the reference for `ws listen --echo`.
// usage: node ws-echo-bare.mjs <host> <port>   (prints the bound port)
import { WebSocketServer } from 'ws';

const [host = '127.0.0.1', port = '0'] = process.argv.slice(2);
const wss = new WebSocketServer({ host, port: Number(port), backlog: 4096, clientTracking: false });
wss.on('connection', (ws) => {
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
// exit through Node so that --cpu-prof and --heap-prof write their profiles
process.on('SIGINT', () => process.exit(0));
wss.on('listening', () => console.log(wss.address().port));
