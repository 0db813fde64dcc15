// How the sockit process asks V8 to manage its memory: set once, before any session starts.
import v8 from 'node:v8';

/**
 * Turns off V8's allocation-site pretenuring. A server's objects per message (its events, a page's
 * queued records) die within milliseconds, but a burst that follows an idle spell, after V8 has
 * shrunk its young generation, makes them outlive a few collections; V8 then allocates them in the
 * old generation from that moment on, for good: a mark-compact every 70 ms or so, and a server with
 * a page attached answering at three quarters of its speed until it restarts. Left young, they die
 * young.
 */
export function tuneHeap(): void {
  v8.setFlagsFromString('--no-allocation-site-pretenuring');
}
