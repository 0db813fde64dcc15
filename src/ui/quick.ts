// Quick messages: saved from the send box, one click to send to the current session, kept in localStorage.
import type { QuickMessage } from '../wire/quick.js';
import { loadQuick, saveQuick } from './persist.js';
import { payloadOf, targetOf } from './sending.js';
import type { Store } from './store.js';

/** The saved quick messages and what a person does with them. */
export class QuickMessages {
  list: QuickMessage[] = loadQuick();

  constructor(private readonly store: Store) {}

  /** Saves the send box's message as a quick message. */
  save(id: string): void {
    const m = this.store.sessions.get(id);
    if (!m || m.draft.text === '') {
      this.store.flash('type a message in the send box first, then save it');
      return;
    }
    const d = m.draft;
    const label = d.text.length > 28 ? d.text.slice(0, 27) + '…' : d.text;
    this.list = [...this.list, { id: `q${Date.now().toString(36)}`, label, mode: d.mode, text: d.text, eol: d.eol, escapes: d.escapes }];
    saveQuick(this.list);
    this.store.flash(`saved “${label}” as a quick message`);
  }

  /** Forgets a quick message. */
  remove(qid: string): void {
    this.list = this.list.filter((q) => q.id !== qid);
    saveQuick(this.list);
    this.store.notify();
  }

  /** Sends a quick message to the current session's chosen target. */
  async send(q: QuickMessage): Promise<void> {
    const store = this.store;
    const m = store.current;
    if (!m) return store.flash('create or choose a session first', 'error');
    if (m.info.state === 'closed') return store.flash('this session is closed; start it again first', 'error');
    const r = await store.request({ type: 'send', session: m.id, target: targetOf(m), payload: payloadOf(q) });
    if (!r.ok) store.flash(r.error.message, 'error');
  }

  /** Loads a quick message into the send box instead of sending it. */
  edit(q: QuickMessage): void {
    const m = this.store.current;
    if (!m) return;
    this.store.sending.setDraft(m.id, { text: q.text, mode: q.mode, eol: q.eol, escapes: q.escapes });
  }
}
