// Ctrl-C, SIGTERM and a closed stdout: the first signal asks the running command to stop cleanly; main decides what a second one does.
import { constants } from 'node:os';

/** What the running command does on Ctrl-C/SIGTERM; it hears which signal came. */
type StopHandler = (signal: StopSignal) => void;
const handlers: StopHandler[] = [];
let signalled = false;

/** The signals that stop a command. */
export type StopSignal = 'SIGINT' | 'SIGTERM';

/** The exit code of a command cut short by `signal`, as shells report it: 128 + its number (130 for Ctrl-C). */
export function interruptedExitCode(signal: StopSignal): number {
  return 128 + constants.signals[signal];
}

/** Registers what the running command does on Ctrl-C/SIGTERM. Returns a function that unregisters it. */
export function onStopSignal(stop: StopHandler): () => void {
  handlers.push(stop);
  return () => {
    const i = handlers.indexOf(stop);
    if (i >= 0) handlers.splice(i, 1);
  };
}

/** Installs the process handlers: first signal stops gracefully, a second calls `force`. */
export function installSignalHandlers(force: () => void): void {
  const handler = (signal: StopSignal) => {
    if (signalled || handlers.length === 0) return force();
    signalled = true;
    for (const h of [...handlers]) h(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

/**
 * A reader that went away (`| head -1`) ends the program quietly, as it ends other Unix tools:
 * `exit` is called with 0 on EPIPE, with 1 on any other error writing stdout or stderr (a full disk).
 */
export function installClosedOutputHandlers(exit: (code: number) => void): void {
  const onError = (err: NodeJS.ErrnoException) => exit(err.code === 'EPIPE' ? 0 : 1);
  process.stdout.on('error', onError);
  process.stderr.on('error', onError);
}
