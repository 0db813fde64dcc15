// `sockit ifaces`: this machine's interfaces and addresses, like `ip addr` written for people.
import { Command } from 'commander';
import { listInterfaces, type NetworkInterface } from '../../ports/interfaces.js';
import { addOutputOptions, Output, RawOptions, readOutputOptions, type CommandResult, type OutputOptions, type Runner } from '../command.js';
import { declared, subcommand } from '../declare.js';
import type { LineWriter, Palette } from '../output.js';

/** Registers `ifaces`. */
export function registerIfaces(program: Command, run: Runner): void {
  const cmd = subcommand(program, 'ifaces', 'local interfaces: IPv4/IPv6 addresses in CIDR form, MAC, up or down, internal (loopback) or not');
  addOutputOptions(cmd, 'one JSON object per interface on stdout, for scripts');
  declared(cmd, [
    'sockit ifaces',
    'sockit ifaces --json',
  ], (raw: RawOptions) => run(() => ifaces(readOutputOptions(raw))));
}

async function ifaces(o: OutputOptions): Promise<CommandResult> {
  const list = listInterfaces();
  const output = new Output(o);
  // no time stamp: the list describes the machine, not a moment
  if (output.json) for (const iface of list) output.out.line(JSON.stringify({ event: 'interface', ...iface }));
  else for (const iface of list) render(output.out, iface, output.c);
  output.out.flush();
  return 0;
}

function render(out: LineWriter, iface: NetworkInterface, c: Palette): void {
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
