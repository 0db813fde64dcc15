// Finds which local process holds a port, from /proc (Linux only; elsewhere it finds nothing).
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/** A socket in the kernel's tables, as /proc/net/{tcp,tcp6,udp,udp6} list it. */
export interface SocketEntry {
  protocol: 'tcp' | 'udp';
  family: 4 | 6;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  state: string;
  inode: number;
}

/** A process and what it was started as. */
export interface ProcessInfo {
  pid: number;
  command: string;
  cmdline: string;
}

const TCP_STATES: Record<string, string> = {
  '01': 'ESTABLISHED', '02': 'SYN_SENT', '03': 'SYN_RECV', '04': 'FIN_WAIT1', '05': 'FIN_WAIT2', '06': 'TIME_WAIT',
  '07': 'CLOSE', '08': 'CLOSE_WAIT', '09': 'LAST_ACK', '0A': 'LISTEN', '0B': 'CLOSING',
};

function parseAddress(hex: string, family: 4 | 6): string {
  if (family === 4) {
    const n = parseInt(hex, 16);
    return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join('.');
  }
  // four little-endian 32-bit words
  const groups: string[] = [];
  for (let w = 0; w < 4; w++) {
    const word = hex.slice(w * 8, w * 8 + 8);
    const bytes = word.match(/../g)!.reverse().join('');
    groups.push(bytes.slice(0, 4), bytes.slice(4, 8));
  }
  const full = groups.map((g) => parseInt(g, 16).toString(16)).join(':');
  if (full.startsWith('0:0:0:0:0:ffff:')) {
    const v4 = groups.slice(6).join('');
    return [0, 2, 4, 6].map((i) => parseInt(v4.slice(i, i + 2), 16)).join('.');
  }
  // the URL parser prints IPv6 in its canonical compressed form
  return new URL(`http://[${full}]/`).hostname.slice(1, -1);
}

/** Reads the kernel's socket tables for one protocol; empty where /proc is not there. */
export function readSocketTable(protocol: 'tcp' | 'udp'): SocketEntry[] {
  const entries: SocketEntry[] = [];
  for (const family of [4, 6] as const) {
    let text: string;
    try {
      text = readFileSync(`/proc/net/${protocol}${family === 6 ? '6' : ''}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const [la, lp] = f[1]!.split(':');
      const [ra, rp] = f[2]!.split(':');
      entries.push({
        protocol, family,
        localAddress: parseAddress(la!, family), localPort: parseInt(lp!, 16),
        remoteAddress: parseAddress(ra!, family), remotePort: parseInt(rp!, 16),
        state: protocol === 'tcp' ? (TCP_STATES[f[3]!] ?? f[3]!) : f[3] === '07' ? 'UNCONN' : 'ESTABLISHED',
        inode: Number(f[9]),
      });
    }
  }
  return entries;
}

/** Maps socket inodes to the processes that hold them (those this user may see). */
export function findSocketOwners(inodes: Set<number>): Map<number, ProcessInfo> {
  const owners = new Map<number, ProcessInfo>();
  if (inodes.size === 0) return owners;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return owners;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m && inodes.has(Number(m[1])) && !owners.has(Number(m[1]))) {
        owners.set(Number(m[1]), describeProcess(Number(pid)));
      }
    }
  }
  return owners;
}

/** The command name and command line of a process. */
export function describeProcess(pid: number): ProcessInfo {
  let command = '?';
  let cmdline = '';
  try {
    command = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    // the process may have exited meanwhile
  }
  return { pid, command, cmdline };
}

/** Which process listens on (or, for UDP, is bound to) a local port, if it can be found out. */
export function findPortOwner(port: number, protocol: 'tcp' | 'udp' = 'tcp'): ProcessInfo | undefined {
  const inodes = new Set(
    readSocketTable(protocol)
      .filter((e) => e.localPort === port && (protocol === 'udp' || e.state === 'LISTEN') && e.inode > 0)
      .map((e) => e.inode),
  );
  const owners = findSocketOwners(inodes);
  return owners.values().next().value;
}

/** `python3 (pid 4242)`, or undefined when the owner is unknown. */
export function describePortOwner(port: number, protocol: 'tcp' | 'udp' = 'tcp'): string | undefined {
  const owner = findPortOwner(port, protocol);
  return owner ? `${owner.command} (pid ${owner.pid})` : undefined;
}
