// Runs the CLI with stdout on a pseudo-terminal (python3's pty module), for what sockit shows only to people.
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { CLI, ROOT, PYTHON, run, waitFor, within, WAIT_MS } from './index.mjs';

const PTY_RUN = join(ROOT, 'test', 'helpers', 'pty_run.py');

/** The command line that runs `sockit ...args` on a terminal; `stderr` puts stderr on it too. */
function ptyArgs(args, { stderr = false, cols = 100 } = {}) {
  return [PTY_RUN, ...(stderr ? ['--stderr'] : []), '--cols', String(cols), '--', process.execPath, CLI, ...args];
}

/** Runs `sockit ...args` to completion with stdout on a terminal: { code, stdout, stderr }; stdin is `input`, a pipe. */
export function runCliOnTerminal(args, { input, stderr, cols, env, timeoutMs } = {}) {
  return run(PYTHON, ptyArgs(args, { stderr, cols }), { input, env, timeoutMs });
}

/**
 * Starts `sockit ...args` with stdout and stderr on one terminal; killed when the test ends.
 * `output` gathers what it showed; `waitOutput(pattern)` waits for it; `stop(signal)` ends it.
 */
export function spawnCliOnTerminal(t, args, { env } = {}) {
  const child = spawn(PYTHON, ptyArgs(args, { stderr: true }), { env: { ...process.env, NO_COLOR: '1', ...env } });
  const handle = {
    child,
    output: '',
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
    waitOutput(pattern, ms = WAIT_MS) {
      const matches = () => (typeof pattern === 'string' ? handle.output.includes(pattern) : pattern.test(handle.output));
      return waitFor(() => matches() || undefined, { what: `the terminal to show ${pattern}`, timeoutMs: ms, detail: () => handle.output });
    },
    async stop(signal = 'SIGINT') {
      child.kill(signal);
      return within(handle.exited, { what: `sockit ${args.join(' ')} to exit on ${signal}` });
    },
  };
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (s) => (handle.output += s));
  // SIGTERM first: pty_run passes it on and the command ends as it would on a terminal; the script's own death takes the command with it
  t.after(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await handle.exited;
    clearTimeout(timer);
  });
  return handle;
}
