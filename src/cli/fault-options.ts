// The relay's fault flags (`--latency`, `--up-latency`, `--down-latency`, ...), declared once and read into one patch.
import { Option, type Command } from 'commander';
import { faultPatch, mergeFaultPatches, parseProbability, type FaultPatch } from '../wire/faults.js';
import type { RawOptions } from './command.js';

/** Each fault flag: its name, its value's placeholder, what it does, and whether a UDP relay knows it. */
const FAULT_FLAGS: { name: string; value: string; help: string; tcp: boolean; udp: boolean }[] = [
  { name: 'latency', value: '<ms[±jitter]>', help: 'add this delay (200, 200±20); both directions: to the round trip, half each way', tcp: true, udp: true },
  { name: 'bandwidth', value: '<rate>', help: 'carry at most this many bytes a second (64k = 64 KiB/s)', tcp: true, udp: true },
  { name: 'chunk', value: '<bytes>', help: 'split writes into pieces of this size, 1 ms apart', tcp: true, udp: false },
  { name: 'drop-after', value: '<bytes>', help: 'after this many bytes, close both ends (FIN)', tcp: true, udp: false },
  { name: 'reset-after', value: '<bytes>', help: 'after this many bytes, reset both ends (RST)', tcp: true, udp: false },
  { name: 'stall-after', value: '<bytes>', help: 'after this many bytes, stop forwarding but keep the connection', tcp: true, udp: false },
  { name: 'loss', value: '<p>', help: 'UDP: lose a datagram with this probability (0.1 or 10%)', tcp: false, udp: true },
  { name: 'duplicate', value: '<p>', help: 'UDP: send a datagram twice with this probability', tcp: false, udp: true },
  { name: 'reorder', value: '<p>', help: 'UDP: hold a datagram back past the next one with this probability', tcp: false, udp: true },
];

const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Declares every fault flag in its three forms, `--refuse` and `--seed`. */
export function addFaultOptions(cmd: Command): Command {
  for (const f of FAULT_FLAGS) {
    cmd.option(`--${f.name} ${f.value}`, `fault: ${f.help} (--up-${f.name}, --down-${f.name}: one direction)`);
    // the one-direction forms are told of in the line above, not listed again
    cmd.addOption(new Option(`--up-${f.name} ${f.value}`).hideHelp());
    cmd.addOption(new Option(`--down-${f.name} ${f.value}`).hideHelp());
  }
  return cmd
    .option('--refuse <p>', 'fault: reset a new connection at once with this probability')
    .option('--seed <n>', 'seed the faults\' random draws, to repeat a run exactly');
}

/** The faults the flags ask for, the flags given that `udp` (or TCP) cannot honour, and the seed. */
export function readFaultOptions(raw: RawOptions, udp: boolean): { patch: FaultPatch; unsupported: string[]; seed?: number } {
  const patches: FaultPatch[] = [];
  const unsupported: string[] = [];
  for (const f of FAULT_FLAGS) {
    for (const [prefix, direction] of [['', 'both'], ['up-', 'up'], ['down-', 'down']] as const) {
      const flag = `${prefix}${f.name}`;
      const value = raw.text(camel(flag));
      if (value === undefined) continue;
      if (udp ? !f.udp : !f.tcp) unsupported.push(`--${flag}`);
      patches.push(faultPatch(f.name, value, direction, `--${flag}`));
    }
  }
  const refuse = raw.text('refuse');
  if (refuse !== undefined) {
    if (udp) unsupported.push('--refuse');
    patches.push({ refuse: parseProbability(refuse, '--refuse') });
  }
  const seed = raw.whole('seed', '--seed', 0, 2 ** 32 - 1);
  return { patch: mergeFaultPatches(...patches), unsupported, ...(seed === undefined ? {} : { seed }) };
}
