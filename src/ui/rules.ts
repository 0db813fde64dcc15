// A server session's rules in the page: the table's rows as edited, checked by the core's rule parser, applied to the running session, and its hit counts.
import type { SessionInfo } from '../bridge/protocol.js';
import { checkRuleRows, ruleRows, wireRules, type RuleRow } from './builder.js';
import type { SessionModel } from './session-model.js';
import type { Store } from './store.js';

/** The rules table of one session's pane. */
export interface RulesState {
  rows: RuleRow[];
  errors: Record<string, string>;
  /** Typed in and not applied yet: what the bridge says about the session does not overwrite it. */
  dirty: boolean;
  open: boolean;
  busy: boolean;
  /** How often each applied rule fired. */
  hits: number[];
}

/** The kinds whose rules the page edits. */
export function hasRules(info: SessionInfo): boolean {
  return info.kind === 'tcp-server' || info.kind === 'ws-server';
}

/** A session's rules table before anything was edited. */
export function newRulesState(info: SessionInfo): RulesState {
  return { rows: ruleRows('rules' in info.spec ? info.spec.rules : undefined), errors: {}, dirty: false, open: false, busy: false, hits: [] };
}

/** Rules of each session's pane: edits, applying them, and what the bridge reports. */
export class SessionRules {
  constructor(private readonly store: Store) {}

  /** Shows or hides the rules table of a session. */
  toggle(id: string): void {
    const m = this.store.sessions.get(id);
    if (!m) return;
    m.rules = { ...m.rules, open: !m.rules.open };
    this.store.notify();
  }

  /** The session's info changed (here or in another tab): the table follows, unless it is being typed in. */
  sync(m: SessionModel): void {
    if (m.rules.dirty || m.rules.busy) return;
    m.rules = { ...m.rules, rows: ruleRows('rules' in m.info.spec ? m.info.spec.rules : undefined) };
  }

  /** A change in the table; committed changes are checked and applied to the running session. */
  async change(id: string, rows: RuleRow[], commit: boolean): Promise<void> {
    const store = this.store;
    const m = store.sessions.get(id);
    if (!m) return;
    if (!commit) {
      m.rules = { ...m.rules, rows, dirty: true, errors: this.recheck(m.rules.errors, rows) };
      store.notify();
      return;
    }
    const errors = checkRuleRows(rows);
    m.rules = { ...m.rules, rows, errors, dirty: true };
    if (Object.keys(errors).length) {
      store.notify();
      return;
    }
    m.rules = { ...m.rules, busy: true };
    store.notify();
    const r = await store.request({ type: 'set-rules', session: id, rules: wireRules(rows) });
    m.rules = { ...m.rules, busy: false };
    if (r.ok) {
      // hits are counted per rule text: a reordered or edited list shows its new counts with the next stats;
      // rows changed while the bridge answered stay as typed
      const edited = m.rules.rows !== rows;
      m.rules = { ...m.rules, dirty: edited, errors: edited ? m.rules.errors : {} };
      if (r.session) store.feed.upsert(r.session);
    } else {
      m.rules = { ...m.rules, errors: { [r.error.field ?? 'rules.0.match']: r.error.message } };
    }
    store.notify();
  }

  // while typing, a field that showed a problem is checked again as it is fixed
  private recheck(shown: Record<string, string>, rows: RuleRow[]): Record<string, string> {
    if (!Object.keys(shown).length) return shown;
    const now = checkRuleRows(rows);
    return Object.fromEntries(Object.keys(shown).filter((k) => now[k]).map((k) => [k, now[k]!]));
  }
}
