#!/usr/bin/env node
// The sockit command: parse, dispatch to a command, map its outcome to an exit code (the only process.exit).
import { CommanderError } from 'commander';
import { SockitError } from '../errors.js';
import { installClosedOutputHandlers, installSignalHandlers } from './signals.js';
import { flushAllWriters } from './output.js';
import { buildProgram } from './program.js';
import { tuneHeap } from './runtime.js';

async function main(argv: string[]): Promise<number> {
  tuneHeap();
  const debug = argv.includes('--debug');
  let exitCode = 0;
  installSignalHandlers(() => process.exit(130));
  installClosedOutputHandlers((code) => process.exit(code));
  try {
    await buildProgram((code) => (exitCode = code)).parseAsync(argv);
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
