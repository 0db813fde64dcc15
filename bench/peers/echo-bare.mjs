// A bare Node echo server (socket.pipe(socket)): Node's own ceiling, the benchmark's reference.
// usage: node echo-bare.mjs <host> <port>   (prints the bound port)
import net from 'node:net';

const [host = '127.0.0.1', port = '0'] = process.argv.slice(2);
const server = net.createServer((socket) => {
  socket.on('error', () => {});
  socket.pipe(socket);
});
// exit through Node so that --cpu-prof and --heap-prof write their profiles
process.on('SIGINT', () => process.exit(0));
server.listen({ host, port: Number(port), backlog: 4096 }, () => console.log(server.address().port));
