// Runs the CLI with stdout on a pseudo-terminal (python3's pty module), for what sockit shows only to people.
import { join } from 'node:path';
import { CLI, ROOT, run } from './index.mjs';

const PTY_RUN = join(ROOT, 'test', 'helpers', 'pty_run.py');

/** The command line that runs `sockit ...args` on a terminal; `stderr` puts stderr on it too. */
function ptyArgs(args, { stderr = false, cols = 100 } = {}) {
  return [PTY_RUN, ...(stderr ? ['--stderr'] : []), '--cols', String(cols), '--', process.execPath, CLI, ...args];
}

/** Runs `sockit ...args` to completion with stdout on a terminal: { code, stdout, stderr }; stdin is `input`, a pipe. */
export function runCliOnTerminal(args, { input, stderr, cols, env, timeoutMs } = {}) {
  return run('python3', ptyArgs(args, { stderr, cols }), { input, env, timeoutMs });
}
