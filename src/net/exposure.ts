// What a listener's settings open up beyond this machine's user: every network interface, or a whole disk or home folder served; the rule the CLI warns by and the page asks by.
import net from 'node:net';
import path from 'node:path';
import { homedir } from 'node:os';

/** The settings that decide what a listener exposes. */
export interface ExposureSettings {
  /** The address to listen on, as given; absent or empty is the session's default. */
  host?: string;
  /** True when the session's default (no host) is every interface, as for `tcp listen`, `udp listen` and `proxy`. */
  everyInterfaceByDefault?: boolean;
  /** A static server's folder. */
  root?: string;
}

/** One thing a person should know before a listener starts, and the setting it comes from. */
export interface Exposure {
  field: 'host' | 'root';
  message: string;
}

/** True for an address that listens on every interface: `0.0.0.0`, `::` (however spelled, brackets allowed). */
export function isEveryInterface(host: string): boolean {
  const h = host.trim().replace(/^\[(.*)\]$/, '$1');
  if (net.isIP(h) === 4) return h.split('.').every((part) => Number(part) === 0);
  return net.isIP(h) === 6 && /^[0:]+$/.test(h);
}

/** `disk` when a folder is the root of a file system (`/`, `C:\`), `home` when it is the home folder, else undefined. */
export function servesWholeTree(root: string): 'disk' | 'home' | undefined {
  const full = path.resolve(root);
  if (full === path.parse(full).root) return 'disk';
  return full === path.resolve(homedir()) ? 'home' : undefined;
}

/** What these settings would expose, each in a sentence (empty when nothing does). */
export function exposuresOf(s: ExposureSettings): Exposure[] {
  const out: Exposure[] = [];
  const host = s.host?.trim() ?? '';
  if (host ? isEveryInterface(host) : s.everyInterfaceByDefault) {
    out.push({ field: 'host', message: `it listens on every interface${host ? ` (${host})` : ''}: any machine that can reach this one can connect to it` });
  }
  if (s.root !== undefined) {
    const tree = servesWholeTree(s.root);
    const full = path.resolve(s.root);
    if (tree === 'disk') out.push({ field: 'root', message: `it serves ${full}, the whole file system, to whoever can reach it` });
    if (tree === 'home') out.push({ field: 'root', message: `it serves your home folder ${full} to whoever can reach it` });
  }
  return out;
}
