// What the page does to a running proxy: end one of its connections (FIN or RST) and change its faults.
import type { FaultPatch } from '../wire/faults.js';
import type { Store } from './store.js';

/** The proxy controls of the page, as a part of the store. */
export class RelayControls {
  constructor(private readonly store: Store) {}

  /** Closes one relayed connection gracefully (FIN to both ends), or resets it (RST). */
  async end(id: string, client: number, reset: boolean): Promise<void> {
    const r = await this.store.request({ type: 'disconnect', session: id, client, reset });
    if (!r.ok) this.store.flash(r.error.message, 'error');
  }

  /** Changes the faults: the fields given replace the current ones (0 turns one off). */
  async setFaults(id: string, patch: FaultPatch): Promise<void> {
    const r = await this.store.request({ type: 'faults', session: id, faults: patch });
    if (!r.ok) this.store.flash(r.error.message, 'error');
    else if (r.session) {
      this.store.feed.upsert(r.session);
      this.store.notify();
    }
  }
}
