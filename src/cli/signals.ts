// Ctrl-C and SIGTERM: the first asks the running command to stop cleanly; main decides what a second one does.
type StopHandler = () => void;
const handlers: StopHandler[] = [];
let signalled = false;

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
  const handler = () => {
    if (signalled || handlers.length === 0) return force();
    signalled = true;
    for (const h of [...handlers]) h();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
