// A bare Node TCP relay (a.pipe(b); b.pipe(a)): Node's own ceiling for a proxy, the relay benchmark's reference.
// usage: node relay-bare.mjs <host> <port> <target-host> <target-port>   (prints the bound port)
import net from 'node:net';

const [host = '127.0.0.1', port = '0', targetHost = '127.0.0.1', targetPort] = process.argv.slice(2);
const server = net.createServer((a) => {
  const b = net.connect(Number(targetPort), targetHost);
  a.on('error', () => b.destroy());
  b.on('error', () => a.destroy());
  a.pipe(b);
  b.pipe(a);
});
// exit through Node so that --cpu-prof and --heap-prof write their profiles
process.on('SIGINT', () => process.exit(0));
server.listen({ host, port: Number(port), backlog: 4096 }, () => console.log(server.address().port));
