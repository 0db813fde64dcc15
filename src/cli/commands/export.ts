// `sockit export <capture>`: a capture as a pcap file for Wireshark and tshark, or as a scenario file that plays it again.
import { Command } from 'commander';
import { exportPcap } from '../../capture/pcap.js';
import { UsageError } from '../../errors.js';
import type { CommandResult, Runner } from '../command.js';

/** Registers `export`. */
export function registerExport(program: Command, run: Runner): void {
  program
    .command('export')
    .description('turn a capture (--capture) into a pcap file for Wireshark/tshark, or into a scenario file for sockit run')
    .argument('<capture>', 'the capture file (NDJSON, gzip or not)')
    .option('--pcap <file>', 'write a pcap: each TCP/UDP connection in synthesised Ethernet, IP and TCP/UDP headers')
    .option('--json', 'say what was written as one JSON object on stdout')
    .action((capture: string, opts: Record<string, unknown>) => run(() => exportCapture(capture, opts)));
}

async function exportCapture(capture: string, opts: Record<string, unknown>): Promise<CommandResult> {
  const pcap = opts.pcap as string | undefined;
  if (!pcap) throw new UsageError('say what to write: --pcap <file>');
  const report: Record<string, unknown> = { event: 'export', capture };
  if (pcap) {
    const stats = await exportPcap(capture, pcap);
    report.pcap = { file: pcap, ...stats };
    if (!opts.json) {
      process.stderr.write(`wrote ${pcap}: ${stats.packets} packets, ${stats.connections} connection${stats.connections === 1 ? '' : 's'}${stats.gapBytes ? `, ${stats.gapBytes} bytes missing where the capture dropped them` : ''}${stats.truncated ? ' (the capture was cut off)' : ''}\n`);
      for (const s of stats.skipped) process.stderr.write(`  connection ${s.conn} left out: ${s.why}\n`);
    }
  }
  if (opts.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  return 0;
}
