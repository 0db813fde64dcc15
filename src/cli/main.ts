#!/usr/bin/env node
// The sockit command: parse, dispatch to a command, map its outcome to an exit code (the only process.exit).
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { SockitError } from '../errors.js';
import { installSignalHandlers } from './signals.js';
import { flushAllWriters } from './output.js';
import { registerTcp } from './commands/tcp.js';
import { registerServe } from './commands/serve.js';
import { registerUi } from './commands/ui.js';
import { registerUdp } from './commands/udp.js';
import { registerPort } from './commands/port.js';
import { registerIfaces } from './commands/ifaces.js';
import { registerLoad } from './commands/load.js';
import { registerWs } from './commands/ws.js';

/** What a command's action resolves to: its exit code. */
export type CommandResult = number;

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Builds the program; `run` wraps each action so its exit code reaches main. */
export function buildProgram(run: (fn: () => Promise<CommandResult>) => Promise<void>): Command {
  const program = new Command('sockit')
    .description('Network debugging assistant: TCP/UDP servers and clients, proxy, static web server, browser UI')
    .version(pkg.version, '-v, --version')
    .option('--debug', 'show stack traces of errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) });
  registerTcp(program, run);
  registerServe(program, run);
  registerUi(program, run);
  registerUdp(program, run);
  registerPort(program, run);
  registerIfaces(program, run);
  registerLoad(program, run);
  registerWs(program, run);
  return program;
}

async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  let exitCode = 0;
  const run = async (fn: () => Promise<CommandResult>) => {
    exitCode = await fn();
  };
  installSignalHandlers(() => process.exit(130));
  try {
    await buildProgram(run).parseAsync(argv);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return 2;
    }
    if (err instanceof SockitError) {
      process.stderr.write(`error: ${err.message} [${err.code}]\n`);
      if (err.hint) process.stderr.write(`  hint: ${err.hint}\n`);
      if (debug) process.stderr.write(`${err.stack}\n${err.cause ? `cause: ${(err.cause as Error).stack ?? err.cause}\n` : ''}`);
      return err.exitCode;
    }
    process.stderr.write(`error: ${(err as Error)?.message ?? String(err)} [SOCKIT_ERR_INTERNAL]\n`);
    if (debug) process.stderr.write(`${(err as Error)?.stack}\n`);
    else process.stderr.write('  run again with --debug to see where it happened\n');
    return 1;
  }
}

main(process.argv).then(
  (code) => {
    flushAllWriters();
    // let piped stdout/stderr drain before exiting
    process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
  },
  () => process.exit(1),
);
