// This machine's network interfaces and addresses (like `ip addr`), from Node and, on Linux, /sys/class/net.
import os from 'node:os';
import { readdirSync, readFileSync } from 'node:fs';

/** One address of an interface, with its prefix in CIDR form. */
export interface InterfaceAddress {
  family: 4 | 6;
  address: string;
  netmask: string;
  prefix: number;
  /** `192.168.1.20/24`. */
  cidr: string;
  /** IPv6 link-local and site addresses need the interface's scope id to be reached. */
  scopeId?: number;
  /** What kind of address it is: loopback, link-local, private, … */
  scope: 'loopback' | 'link-local' | 'private' | 'global' | 'multicast' | 'unspecified';
}

/** One network interface. */
export interface NetworkInterface {
  name: string;
  /** The hardware address; absent for loopback and tunnels. */
  mac?: string;
  /** True for loopback: it does not reach other machines. */
  internal: boolean;
  /** Administratively up (Linux only; absent where unknown). */
  up?: boolean;
  mtu?: number;
  addresses: InterfaceAddress[];
}

function readSys(name: string, file: string): string | undefined {
  try {
    return readFileSync(`/sys/class/net/${name}/${file}`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function prefixOf(netmask: string, family: 4 | 6): number {
  let bits = 0;
  if (family === 4) {
    for (const part of netmask.split('.')) bits += popcount(Number(part));
  } else {
    const full = new URL(`http://[${netmask}]/`).hostname.slice(1, -1);
    const groups = full.includes('::') ? expandV6(full) : full.split(':');
    for (const g of groups) bits += popcount(parseInt(g || '0', 16));
  }
  return bits;
}

function expandV6(text: string): string[] {
  const [head, tail] = text.split('::') as [string, string];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  return [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
}

function popcount(n: number): number {
  let c = 0;
  for (let v = n >>> 0; v; v &= v - 1) c++;
  return c;
}

/** Classifies an address for people: loopback, link-local, private (RFC 1918, ULA), global, … */
export function addressScope(address: string, family: 4 | 6): InterfaceAddress['scope'] {
  if (family === 4) {
    const [a, b] = address.split('.').map(Number) as [number, number];
    if (a === 127) return 'loopback';
    if (a === 0) return 'unspecified';
    if (a === 169 && b === 254) return 'link-local';
    if (a >= 224 && a <= 239) return 'multicast';
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127)) return 'private';
    return 'global';
  }
  const lower = address.toLowerCase();
  if (lower === '::1') return 'loopback';
  if (lower === '::') return 'unspecified';
  if (/^fe[89ab]/.test(lower)) return 'link-local';
  if (/^f[cd]/.test(lower)) return 'private';
  if (lower.startsWith('ff')) return 'multicast';
  return 'global';
}

/** Every interface: those with addresses from Node, plus (on Linux) those without any, in kernel order. */
export function listInterfaces(): NetworkInterface[] {
  const byName = new Map<string, NetworkInterface>();
  for (const [name, infos] of Object.entries(os.networkInterfaces())) {
    const iface: NetworkInterface = { name, internal: false, addresses: [] };
    for (const info of infos ?? []) {
      const family: 4 | 6 = info.family === 'IPv4' || (info.family as unknown) === 4 ? 4 : 6;
      const prefix = info.cidr ? Number(info.cidr.split('/')[1]) : prefixOf(info.netmask, family);
      const address: InterfaceAddress = {
        family, address: info.address, netmask: info.netmask, prefix, cidr: `${info.address}/${prefix}`,
        scope: addressScope(info.address, family),
      };
      if (family === 6 && 'scopeid' in info && info.scopeid) address.scopeId = info.scopeid;
      iface.addresses.push(address);
      iface.internal ||= info.internal;
      if (info.mac && info.mac !== '00:00:00:00:00:00') iface.mac = info.mac;
    }
    byName.set(name, iface);
  }
  let sysNames: string[] = [];
  try {
    sysNames = readdirSync('/sys/class/net');
  } catch {
    // not Linux: Node's view is all there is
  }
  const order = new Map<string, number>();
  for (const name of sysNames) {
    const flags = Number(readSys(name, 'flags') ?? 'NaN');
    let iface = byName.get(name);
    if (!iface) {
      // IFF_LOOPBACK is 0x8 in <linux/if.h>
      iface = { name, internal: Number.isFinite(flags) && (flags & 0x8) !== 0, addresses: [] };
      const mac = readSys(name, 'address');
      if (mac && mac !== '00:00:00:00:00:00' && /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac)) iface.mac = mac;
      byName.set(name, iface);
    }
    // IFF_UP is 0x1
    if (Number.isFinite(flags)) iface.up = (flags & 0x1) !== 0;
    const mtu = Number(readSys(name, 'mtu'));
    if (Number.isFinite(mtu) && mtu > 0) iface.mtu = mtu;
    const index = Number(readSys(name, 'ifindex'));
    if (Number.isFinite(index)) order.set(name, index);
  }
  return [...byName.values()].sort((a, b) => (order.get(a.name) ?? 1e9) - (order.get(b.name) ?? 1e9) || a.name.localeCompare(b.name));
}
