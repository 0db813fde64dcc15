// `sockit ifaces`: this machine's interfaces and addresses, like `ip addr` written for people.
import { Command } from 'commander';
import { listInterfaces, type NetworkInterface } from '../../ports/interfaces.js';
import { LineWriter, makePalette, colorWanted } from '../output.js';
import type { CommandResult } from '../main.js';

/** Registers `ifaces`. */
export function registerIfaces(program: Command, run: (fn: () => Promise<CommandResult>) => Promise<void>): void {
  program
    .command('ifaces')
    .description('local interfaces: IPv4/IPv6 addresses in CIDR form, MAC, up or down, internal (loopback) or not')
    .option('--json', 'one JSON object per interface on stdout, for scripts')
    .option('--no-color', 'no colours, even on a terminal')
    .action((opts: Record<string, unknown>) => run(() => ifaces(opts)));
}

async function ifaces(opts: Record<string, unknown>): Promise<CommandResult> {
  const list = listInterfaces();
  const out = new LineWriter(process.stdout);
  if (opts.json) {
    for (const iface of list) out.line(JSON.stringify({ event: 'interface', ...iface }));
  } else {
    const c = makePalette(colorWanted(process.stdout, opts.color as boolean | undefined));
    for (const iface of list) render(out, iface, c);
  }
  out.flush();
  return 0;
}

function render(out: LineWriter, iface: NetworkInterface, c: ReturnType<typeof makePalette>): void {
  const facts: string[] = [];
  if (iface.up !== undefined) facts.push(iface.up ? c.in('up') : c.err('down'));
  if (iface.internal) facts.push('internal (loopback: this machine only)');
  if (iface.mac) facts.push(`mac ${iface.mac}`);
  if (iface.mtu) facts.push(`mtu ${iface.mtu}`);
  out.line(`${c.bold(iface.name)}  ${facts.join('  ')}`);
  if (iface.addresses.length === 0) out.line(c.dim('    no addresses'));
  for (const a of iface.addresses) {
    const note = a.scope === 'global' ? '' : a.scope === 'link-local' && a.scopeId ? `  ${a.scope}, reach as %${iface.name}` : `  ${a.scope}`;
    out.line(`    ${a.family === 4 ? 'inet ' : 'inet6'} ${a.cidr}${c.dim(note)}`);
  }
}
