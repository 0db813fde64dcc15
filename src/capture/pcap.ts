// A capture as a pcap file: each connection's bytes inside synthesised Ethernet, IPv4/IPv6 and TCP or UDP headers that Wireshark and tshark follow as streams.
import fs from 'node:fs';
import net from 'node:net';
import { SockitError } from '../errors.js';
import type { CaptureRecord, ConnectRecord } from './capture-format.js';
import { readCaptureRecords } from './capture-reader.js';

/** What an export wrote and what it left out. */
export interface PcapStats {
  packets: number;
  /** TCP and UDP conversations written. */
  connections: number;
  /** Connections left out, with why (WebSocket messages are captured without their frames). */
  skipped: { conn: number; why: string }[];
  /** Bytes the capture had dropped, shown in the pcap as missing segments. */
  gapBytes: number;
  truncated: boolean;
}

interface Endpoint {
  ip: Buffer;
  port: number;
}

interface Flow {
  proto: 'tcp' | 'udp';
  /** The side that opened the connection (sent SYN), and the other. */
  client: Endpoint;
  server: Endpoint;
  /** True when the capturing side opened it (its `out` bytes come from the client). */
  localIsClient: boolean;
  /** The next sequence number each side sends. */
  seqClient: number;
  seqServer: number;
  closed: boolean;
}

const ETHER_IPV4 = 0x0800;
const ETHER_IPV6 = 0x86dd;
const TCP = 6;
const UDP = 17;
const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const PSH = 0x08;
const ACK = 0x10;
// the largest TCP payload an IPv4 packet can carry (65535 - 20 - 20), kept for IPv6 too
const MAX_SEGMENT = 65495;
const MAX_UDP_V4 = 65507;
const MAC_CLIENT = Buffer.from([0x02, 0, 0, 0, 0, 0x01]);
const MAC_SERVER = Buffer.from([0x02, 0, 0, 0, 0, 0x02]);

/** An IP address as bytes (4 or 16), or undefined when it is not one. */
export function ipBytes(address: string): Buffer | undefined {
  const a = address.replace(/%.*$/, '');
  const family = net.isIP(a);
  if (family === 4) return Buffer.from(a.split('.').map(Number));
  if (family !== 6) return undefined;
  let text = a;
  let tail: number[] = [];
  const v4 = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [p, q, r, s] = v4[2]!.split('.').map(Number) as [number, number, number, number];
    tail = [(p << 8) | q, (r << 8) | s];
    text = v4[1]!.endsWith('::') ? v4[1]! : v4[1]!.slice(0, -1);
  }
  const hex = (g: string) => parseInt(g, 16);
  const [head, rest] = text.split('::') as [string, string | undefined];
  const h = head ? head.split(':').map(hex) : [];
  let words: number[];
  if (rest === undefined) words = [...h, ...tail];
  else {
    const t = rest ? rest.split(':').map(hex) : [];
    words = [...h, ...new Array<number>(8 - h.length - t.length - tail.length).fill(0), ...t, ...tail];
  }
  const out = Buffer.alloc(16);
  words.slice(0, 8).forEach((w, i) => out.writeUInt16BE(w & 0xffff, i * 2));
  return out;
}

/** Splits `host:port` or `[v6]:port`. */
function splitEndpoint(text: string | undefined): { host: string; port: number } | undefined {
  if (!text) return undefined;
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  return m ? { host: m[1]!, port: Number(m[2]) } : undefined;
}

const LOOPBACK_V4 = Buffer.from([127, 0, 0, 1]);
const LOOPBACK_V6 = ipBytes('::1')!;
const isLoopback = (ip: Buffer) => (ip.length === 4 ? ip[0] === 127 : ip.equals(LOOPBACK_V6));
const isUnspecified = (ip: Buffer) => ip.every((b) => b === 0);

/** Our end and the peer's, as addresses a packet can carry: an unspecified or missing local address takes the peer's family (loopback for a loopback peer). */
function endpoints(r: ConnectRecord): { local: Endpoint; peer: Endpoint } | undefined {
  const p = splitEndpoint(r.peer);
  const peerIp = p && ipBytes(p.host);
  if (!p || !peerIp) return undefined;
  const l = splitEndpoint(r.local);
  let localIp = l && ipBytes(l.host);
  if (!localIp || localIp.length !== peerIp.length || isUnspecified(localIp)) {
    localIp = isLoopback(peerIp) ? (peerIp.length === 4 ? LOOPBACK_V4 : LOOPBACK_V6) : Buffer.alloc(peerIp.length);
  }
  return { local: { ip: localIp, port: l?.port ?? 0 }, peer: { ip: peerIp, port: p.port } };
}

function checksum(parts: Buffer[]): number {
  let sum = 0;
  for (const b of parts) {
    const n = b.length - (b.length % 2);
    for (let i = 0; i < n; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
    if (b.length % 2) sum += b[b.length - 1]! << 8;
    // fold now and then so the sum stays a small integer
    if (sum > 0x7fffffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/**
 * Turns capture records into pcap packets. Feed records in file order; `packets` are taken with
 * {@link take}. A TCP connection gets its three-way handshake, data segments whose sequence
 * numbers follow the bytes (a gap where the capture dropped some), and FIN or RST at its close.
 */
export class PcapBuilder {
  readonly stats: PcapStats = { packets: 0, connections: 0, skipped: [], gapBytes: 0, truncated: false };
  private readonly flows = new Map<number, Flow>();
  private out: Buffer[] = [];
  private ipId = 0;

  constructor() {
    const header = Buffer.alloc(24);
    header.writeUInt32LE(0xa1b2c3d4, 0); // microsecond timestamps
    header.writeUInt16LE(2, 4);
    header.writeUInt16LE(4, 6);
    header.writeUInt32LE(262144, 16); // snaplen
    header.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
    this.out.push(header);
  }

  /** The bytes built since the last call. */
  take(): Buffer[] {
    const out = this.out;
    this.out = [];
    return out;
  }

  /** Adds one record's packets. */
  add(r: CaptureRecord): void {
    switch (r.event) {
      case 'connect':
        return this.connect(r);
      case 'data': {
        const f = this.flows.get(r.conn);
        if (!f || f.closed) return;
        const fromClient = (r.dir === 'out') === f.localIsClient;
        const bytes = Buffer.from(r.b64, 'base64');
        if (f.proto === 'udp') return this.udp(r.us, f, fromClient, bytes);
        for (let at = 0; at < bytes.length || at === 0; at += MAX_SEGMENT) {
          const piece = bytes.subarray(at, at + MAX_SEGMENT);
          this.tcp(r.us, f, fromClient, PSH | ACK, piece);
          if (bytes.length === 0) break;
        }
        return;
      }
      case 'drop': {
        const f = r.conn === undefined ? undefined : this.flows.get(r.conn);
        if (!f || f.proto !== 'tcp' || r.bytes === 0) return;
        const fromClient = (r.dir === 'out') === f.localIsClient;
        // the bytes were never recorded: the next segment starts after them, as a capture that missed packets shows
        if (fromClient) f.seqClient = (f.seqClient + r.bytes) >>> 0;
        else f.seqServer = (f.seqServer + r.bytes) >>> 0;
        this.stats.gapBytes += r.bytes;
        return;
      }
      case 'close': {
        const f = this.flows.get(r.conn);
        if (!f || f.closed) return;
        f.closed = true;
        this.flows.delete(r.conn);
        if (f.proto !== 'tcp') return;
        // who closed first: the peer, us, or (when the reason does not say) the side that opened
        const byClient = r.by === undefined ? true : (r.by === 'us') === f.localIsClient;
        if (r.how === 'rst') {
          this.tcp(r.us, f, byClient, RST | ACK, Buffer.alloc(0));
          return;
        }
        this.tcp(r.us, f, byClient, FIN | ACK, Buffer.alloc(0));
        this.tcp(r.us, f, !byClient, FIN | ACK, Buffer.alloc(0));
        this.tcp(r.us, f, byClient, ACK, Buffer.alloc(0));
        return;
      }
      default:
    }
  }

  private connect(r: ConnectRecord): void {
    const proto = r.protocol === 'udp' ? 'udp' : r.protocol === 'tcp' || r.protocol === 'tls' ? 'tcp' : undefined;
    if (!proto) {
      this.stats.skipped.push({ conn: r.conn, why: `a ${r.protocol === 'wss' ? 'secure ' : ''}WebSocket connection: its messages were captured, not its frames` });
      return;
    }
    const ends = endpoints(r);
    if (!ends) {
      this.stats.skipped.push({ conn: r.conn, why: `its peer '${r.peer}' is not an IP address and port` });
      return;
    }
    const localIsClient = r.role === 'connected';
    const client = localIsClient ? ends.local : ends.peer;
    const server = localIsClient ? ends.peer : ends.local;
    const isn = (n: number) => Math.imul(r.conn + n, 2654435761) >>> 0;
    const f: Flow = { proto, client, server, localIsClient, seqClient: isn(0), seqServer: isn(7919), closed: false };
    this.flows.set(r.conn, f);
    this.stats.connections++;
    if (proto === 'tcp') {
      this.tcp(r.us, f, true, SYN, Buffer.alloc(0));
      this.tcp(r.us, f, false, SYN | ACK, Buffer.alloc(0));
      this.tcp(r.us, f, true, ACK, Buffer.alloc(0));
    }
  }

  private tcp(us: number, f: Flow, fromClient: boolean, flags: number, payload: Buffer): void {
    const [src, dst] = fromClient ? [f.client, f.server] : [f.server, f.client];
    const seq = fromClient ? f.seqClient : f.seqServer;
    const synAck = flags & SYN && flags & ACK;
    // a SYN's ack field means nothing; after it, each side acknowledges all the other has sent
    const ack = flags & ACK ? (fromClient ? f.seqServer : f.seqClient) : 0;
    const h = Buffer.alloc(20);
    h.writeUInt16BE(src.port, 0);
    h.writeUInt16BE(dst.port, 2);
    h.writeUInt32BE(seq, 4);
    h.writeUInt32BE(synAck ? f.seqClient : ack, 8);
    h[12] = 5 << 4;
    h[13] = flags;
    h.writeUInt16BE(65535, 14);
    const advance = payload.length + (flags & (SYN | FIN) ? 1 : 0);
    if (fromClient) f.seqClient = (f.seqClient + advance) >>> 0;
    else f.seqServer = (f.seqServer + advance) >>> 0;
    h.writeUInt16BE(checksum([pseudoHeader(src.ip, dst.ip, TCP, 20 + payload.length), h, payload]), 16);
    this.packet(us, src, dst, TCP, [h, payload], fromClient);
  }

  private udp(us: number, f: Flow, fromClient: boolean, payload: Buffer): void {
    const [src, dst] = fromClient ? [f.client, f.server] : [f.server, f.client];
    const body = src.ip.length === 4 && payload.length > MAX_UDP_V4 ? payload.subarray(0, MAX_UDP_V4) : payload;
    const h = Buffer.alloc(8);
    h.writeUInt16BE(src.port, 0);
    h.writeUInt16BE(dst.port, 2);
    h.writeUInt16BE(8 + body.length, 4);
    const sum = checksum([pseudoHeader(src.ip, dst.ip, UDP, 8 + body.length), h, body]);
    h.writeUInt16BE(sum === 0 ? 0xffff : sum, 6);
    this.packet(us, src, dst, UDP, [h, body], fromClient);
  }

  private packet(us: number, src: Endpoint, dst: Endpoint, proto: number, l4: Buffer[], fromClient: boolean): void {
    const l4Length = l4.reduce((n, b) => n + b.length, 0);
    const v4 = src.ip.length === 4;
    const eth = Buffer.alloc(14);
    (fromClient ? MAC_SERVER : MAC_CLIENT).copy(eth, 0);
    (fromClient ? MAC_CLIENT : MAC_SERVER).copy(eth, 6);
    eth.writeUInt16BE(v4 ? ETHER_IPV4 : ETHER_IPV6, 12);
    let ip: Buffer;
    if (v4) {
      ip = Buffer.alloc(20);
      ip[0] = 0x45;
      ip.writeUInt16BE(20 + l4Length, 2);
      ip.writeUInt16BE(this.ipId = (this.ipId + 1) & 0xffff, 4);
      ip.writeUInt16BE(0x4000, 6); // don't fragment
      ip[8] = 64;
      ip[9] = proto;
      src.ip.copy(ip, 12);
      dst.ip.copy(ip, 16);
      ip.writeUInt16BE(checksum([ip]), 10);
    } else {
      ip = Buffer.alloc(40);
      ip.writeUInt32BE(0x60000000, 0);
      ip.writeUInt16BE(l4Length, 4);
      ip[6] = proto;
      ip[7] = 64;
      src.ip.copy(ip, 8);
      dst.ip.copy(ip, 24);
    }
    const length = 14 + ip.length + l4Length;
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(Math.floor(us / 1e6), 0);
    rec.writeUInt32LE(Math.floor(us % 1e6), 4);
    rec.writeUInt32LE(length, 8);
    rec.writeUInt32LE(length, 12);
    this.out.push(rec, eth, ip, ...l4);
    this.stats.packets++;
  }
}

function pseudoHeader(src: Buffer, dst: Buffer, proto: number, length: number): Buffer {
  if (src.length === 4) {
    const p = Buffer.alloc(12);
    src.copy(p, 0);
    dst.copy(p, 4);
    p[9] = proto;
    p.writeUInt16BE(length, 10);
    return p;
  }
  const p = Buffer.alloc(40);
  src.copy(p, 0);
  dst.copy(p, 16);
  p.writeUInt32BE(length, 32);
  p[39] = proto;
  return p;
}

/** Writes a capture file as a pcap file, streaming: a large capture needs little memory. */
export async function exportPcap(capturePath: string, pcapPath: string): Promise<PcapStats> {
  const builder = new PcapBuilder();
  let fd: number;
  try {
    fd = fs.openSync(pcapPath, 'w');
  } catch (err) {
    throw new SockitError('SOCKIT_ERR_FILE', `cannot write ${pcapPath}: ${(err as Error).message}`, { cause: err, exitCode: 2 });
  }
  const out = fs.createWriteStream(pcapPath, { fd });
  const failed = new Promise<never>((_, reject) => out.once('error', (err) => reject(new SockitError('SOCKIT_ERR_FILE', `cannot write ${pcapPath}: ${err.message}`, { cause: err, exitCode: 2 }))));
  failed.catch(() => {});
  const write = async () => {
    const bufs = builder.take();
    if (bufs.length === 0) return;
    if (!out.write(Buffer.concat(bufs))) await Promise.race([new Promise<void>((r) => out.once('drain', () => r())), failed]);
  };
  try {
    await write();
    for await (const r of readCaptureRecords(capturePath, undefined, () => (builder.stats.truncated = true))) {
      builder.add(r);
      await write();
    }
  } finally {
    out.end();
  }
  await Promise.race([new Promise<void>((r) => out.once('close', () => r())), failed]);
  return builder.stats;
}
