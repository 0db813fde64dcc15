// `sockit export <capture>`: a capture as a pcap file for Wireshark and tshark, or as a scenario file that plays it again.
import { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { SockitError, UsageError } from '../../errors.js';
import type { CommandResult, Runner } from '../command.js';
import { withExamples } from '../help.js';

/** Registers `export`. */
export function registerExport(program: Command, run: Runner): void {
  const cmd = program
    .command('export')
    .description('turn a capture (--capture) into a pcap file for Wireshark/tshark, or into a scenario file for sockit run')
    .argument('<capture>', 'the capture file (NDJSON, gzip or not)')
    .option('--pcap <file>', 'write a pcap: each TCP/UDP connection in synthesised Ethernet, IP and TCP/UDP headers')
    .option('--scenario <file>', 'write a scenario (YAML; JSON when the name ends in .json) that plays one side against a real peer and expects the recorded answers')
    .option('--as <side>', "with --scenario: play the client (connect, send what the client sent) or the server (listen, answer as the server did); default: the capturing side")
    .option('--json', 'say what was written as one JSON object on stdout')
    .action((capture: string, opts: Record<string, unknown>) => run(() => exportCapture(capture, opts)));
  withExamples(cmd, [
    'sockit export session.ndjson --pcap session.pcap',
    'sockit export session.ndjson.gz --scenario regression.yaml',
    'sockit export session.ndjson --scenario fake-server.yaml --as server',
  ]);
}

async function exportCapture(capture: string, opts: Record<string, unknown>): Promise<CommandResult> {
  const pcap = opts.pcap as string | undefined;
  const scenario = opts.scenario as string | undefined;
  if (!pcap && !scenario) throw new UsageError('say what to write: --pcap <file> or --scenario <file>');
  const as = opts.as as string | undefined;
  if (as !== undefined && as !== 'client' && as !== 'server') throw new UsageError(`--as must be client or server, got '${as}'`);
  const report: Record<string, unknown> = { event: 'export', capture };
  if (pcap) {
    const { exportPcap } = await import('../../capture/pcap.js');
    const stats = await exportPcap(capture, pcap);
    report.pcap = { file: pcap, ...stats };
    if (!opts.json) {
      process.stderr.write(`wrote ${pcap}: ${stats.packets} packets, ${stats.connections} connection${stats.connections === 1 ? '' : 's'}${stats.gapBytes ? `, ${stats.gapBytes} bytes missing where the capture dropped them` : ''}${stats.truncated ? ' (the capture was cut off)' : ''}\n`);
      for (const s of stats.skipped) process.stderr.write(`  connection ${s.conn} left out: ${s.why}\n`);
    }
  }
  if (scenario) {
    const { captureToScenario } = await import('../../scenario/from-capture.js');
    const { text, steps } = await captureToScenario(capture, { as: as as 'client' | 'server' | undefined, format: /\.json$/i.test(scenario) ? 'json' : 'yaml' });
    try {
      writeFileSync(scenario, text);
    } catch (err) {
      throw new SockitError('SOCKIT_ERR_FILE', `cannot write ${scenario}: ${(err as Error).message}`, { cause: err, exitCode: 2 });
    }
    report.scenario = { file: scenario, steps };
    if (!opts.json) process.stderr.write(`wrote ${scenario}: ${steps} steps\n`);
  }
  if (opts.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  return 0;
}
