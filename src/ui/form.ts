// The new-session form: its fields per kind, live checks with the core's parsers, and the request that starts the session.
import type { SessionKind, SessionSpec } from '../bridge/protocol.js';
import { saveSettings } from './persist.js';
import { checkEncoding, checkEndpoint, checkEscapes, checkFault, checkFrame, checkHost, checkPort, checkTemplate, checkWhole } from './validate.js';
import { faultPatch, mergeFaultPatches, type FaultPatch } from '../wire/faults.js';
import type { Store } from './store.js';
import { checkRuleRows, wireRules, type RuleRow } from './builder.js';
import { checkWsFields, isClientKind, WS_FORM_DEFAULTS, wsSpecOf } from './ws-kinds.js';

/** The form as it stands. */
export interface DialogState {
  kind: SessionKind;
  values: Record<string, string | boolean>;
  errors: Record<string, string>;
  formError: { message: string; hint?: string } | undefined;
  busy: boolean;
  /** Bumped by each refused submit: the form then moves the focus to its first bad field. */
  refusals: number;
  /** A server's rules table. */
  rules: RuleRow[];
  /** What the session would open beyond this machine, as sockit said it: the next submit confirms it. */
  confirm: string | undefined;
}

/** Form defaults per kind, before the person's own last values. */
export const FORM_DEFAULTS: Record<SessionKind, Record<string, string | boolean>> = {
  'tcp-server': { host: '', port: '8000', encoding: 'utf8', frame: 'raw', delimiter: '', welcome: '', reply: '', echo: false, closeAfterReply: false, quit: '', chat: false },
  'tcp-client': { host: '127.0.0.1', port: '8000', encoding: 'utf8', frame: 'raw', delimiter: '', reply: '', echo: false, reconnect: false },
  udp: { host: '', port: '9999', remote: '', encoding: 'utf8', reply: '', echo: false, join: '', multicastInterface: '', multicastTtl: '', broadcast: false },
  http: { root: '.', host: '127.0.0.1', port: '8000' },
  ...WS_FORM_DEFAULTS,
  proxy: { host: '', port: '8080', target: '127.0.0.1:8000', encoding: 'utf8', frame: 'raw', delimiter: '', udp: false, ws: false, latency: '', bandwidth: '', loss: '' },
};

/** The kinds whose received bytes sockit can save to a file as they arrive. */
export const SAVE_KINDS: ReadonlySet<SessionKind> = new Set(['tcp-server', 'tcp-client', 'udp', 'ws-server', 'ws-client']);

/** The save fields, empty: never kept from one form to the next, so a file is saved (or replaced) only when asked each time. */
const SAVE_DEFAULTS = { saveTo: '', overwrite: false };

/** The fault fields of the proxy form, by the name the CLI gives each fault. */
export const PROXY_FAULT_FIELDS = ['latency', 'bandwidth', 'loss'] as const;

/** The faults a filled proxy form starts with (none when its fault fields are empty). */
function faultsOf(v: Record<string, string | boolean>): FaultPatch | undefined {
  const given = PROXY_FAULT_FIELDS.filter((f) => String(v[f] ?? '').trim() !== '');
  if (!given.length) return undefined;
  return mergeFaultPatches(...given.map((f) => faultPatch(f, String(v[f]), 'both')));
}

/** The spec a filled form asks the bridge for, with the file to save received bytes to where the kind has one. */
function specOf(d: DialogState): SessionSpec {
  const spec = kindSpecOf(d);
  const saveTo = String(d.values.saveTo ?? '').trim();
  return SAVE_KINDS.has(d.kind) && saveTo ? ({ ...spec, saveTo, overwrite: d.values.overwrite ? true : undefined } as SessionSpec) : spec;
}

function kindSpecOf(d: DialogState): SessionSpec {
  const v = d.values;
  const str = (k: string) => String(v[k] ?? '').trim();
  // a delimiter is said explicitly: a bare word would read as a mistyped kind
  const frame = str('frame') === 'delimiter' ? `delim:${String(v.delimiter ?? '')}` : str('frame') || 'raw';
  const opt = (k: string) => (str(k) ? String(v[k]) : undefined);
  switch (d.kind) {
    case 'tcp-server':
      return {
        kind: 'tcp-server', host: opt('host'), port: Number(str('port')), encoding: str('encoding'), frame,
        welcome: opt('welcome'), reply: opt('reply'), quit: opt('quit'), echo: Boolean(v.echo), closeAfterReply: Boolean(v.closeAfterReply), chat: Boolean(v.chat),
        rules: wireRules(d.rules),
      };
    case 'tcp-client':
      return {
        kind: 'tcp-client', host: str('host'), port: Number(str('port')), encoding: str('encoding'), frame,
        reply: opt('reply'), echo: Boolean(v.echo) || undefined, reconnect: Boolean(v.reconnect) || undefined,
      };
    case 'udp':
      return {
        kind: 'udp', host: opt('host'), port: Number(str('port')), encoding: str('encoding'), remote: opt('remote'), reply: opt('reply'), echo: Boolean(v.echo),
        join: opt('join'), multicastInterface: opt('multicastInterface'), multicastTtl: str('multicastTtl') ? Number(str('multicastTtl')) : undefined, broadcast: Boolean(v.broadcast) || undefined,
      };
    case 'http':
      return { kind: 'http', root: str('root'), host: opt('host'), port: Number(str('port')) };
    case 'ws-server':
      return { ...wsSpecOf(d.kind, v), rules: wireRules(d.rules) } as SessionSpec;
    case 'ws-client':
      return wsSpecOf(d.kind, v);
    case 'proxy':
      return {
        kind: 'proxy', host: opt('host'), port: Number(str('port')), target: str('target'), encoding: str('encoding'),
        frame: v.udp || v.ws ? 'raw' : frame, udp: Boolean(v.udp) || undefined, ws: Boolean(v.ws) || undefined, faults: v.ws ? undefined : faultsOf(v),
      };
  }
}

/** The new-session form; `dialog` is undefined while it is closed. */
export class NewSessionForm {
  dialog: DialogState | undefined;

  constructor(private readonly store: Store) {}

  private fresh(kind: SessionKind): DialogState {
    const saves = SAVE_KINDS.has(kind) ? SAVE_DEFAULTS : {};
    return { kind, values: { ...FORM_DEFAULTS[kind], ...(this.store.settings.forms[kind] ?? {}), ...saves }, errors: {}, formError: undefined, busy: false, refusals: 0, rules: [], confirm: undefined };
  }

  /** Opens the form for a kind (the last one used by default). */
  open(kind?: SessionKind): void {
    const kinds = this.store.hello?.kinds ?? ['tcp-server', 'tcp-client'];
    let k = (kind ?? this.store.settings.lastKind) as SessionKind;
    if (!kinds.includes(k)) k = kinds[0]!;
    this.dialog = this.fresh(k);
    this.store.notify();
  }

  /** Switches the form to another kind. */
  setKind(kind: SessionKind): void {
    if (!this.dialog) return;
    this.dialog = this.fresh(kind);
    this.store.notify();
  }

  /** Closes the form. */
  close(): void {
    this.dialog = undefined;
    this.store.notify();
  }

  /** Sets one field; a field that showed an error is checked again as it is fixed. */
  setField(name: string, value: string | boolean): void {
    const d = this.dialog;
    if (!d) return;
    d.values = { ...d.values, [name]: value };
    // what was confirmed was the settings as they were
    d.confirm = undefined;
    if (d.errors[name]) this.recheck(d, name);
    this.store.notify();
  }

  /** Changes the rules table; a rule that showed a problem is checked again as it is fixed, and all of them when a field is left. */
  setRules(rows: RuleRow[], commit: boolean): void {
    const d = this.dialog;
    if (!d) return;
    d.rules = rows;
    const now = checkRuleRows(rows);
    const errors = Object.fromEntries(Object.entries(d.errors).filter(([k]) => !k.startsWith('rules.')));
    for (const [k, e] of Object.entries(now)) if (commit || d.errors[k]) errors[k] = e;
    d.errors = errors;
    this.store.notify();
  }

  /** Checks one field when it loses focus. */
  blurField(name: string): void {
    const d = this.dialog;
    if (!d) return;
    this.recheck(d, name);
    this.store.notify();
  }

  private recheck(d: DialogState, name: string): void {
    const errs = this.validate(d);
    d.errors = { ...d.errors };
    if (errs[name]) d.errors[name] = errs[name]!;
    else delete d.errors[name];
  }

  /** Every problem of the form, by field. */
  validate(d: DialogState): Record<string, string> {
    const v = d.values;
    const str = (k: string) => String(v[k] ?? '');
    const errs: Record<string, string> = {};
    const put = (k: string, e: string | undefined) => {
      if (e) errs[k] = e;
    };
    const client = isClientKind(d.kind);
    if (d.kind !== 'http') put('encoding', checkEncoding(str('encoding'), this.store.encodings));
    if (d.kind !== 'ws-client') {
      put('port', checkPort(str('port'), !client));
      put('host', checkHost(str('host'), client));
    }
    Object.assign(errs, checkWsFields(d.kind, v));
    if (d.kind === 'proxy') {
      put('target', checkEndpoint(str('target'), true, 'target'));
      for (const f of PROXY_FAULT_FIELDS) put(f, checkFault(f, str(f)));
      if (str('loss').trim() && !v.udp) put('loss', 'loss is a fault of datagrams: tick UDP, or leave it empty');
      if (v.ws && v.udp) put('ws', 'a WebSocket relay runs over TCP: untick UDP or WebSocket');
    }
    if (d.kind === 'tcp-server' || d.kind === 'tcp-client' || (d.kind === 'proxy' && !v.udp && !v.ws)) {
      if (str('frame') === 'delimiter') put('delimiter', checkFrame(str('delimiter')) ?? checkEscapes(str('delimiter'), 'delimiter'));
    }
    if (d.kind === 'tcp-server' || d.kind === 'ws-server') {
      put('welcome', checkTemplate(str('welcome'), 'welcome'));
      put('reply', checkTemplate(str('reply'), 'reply'));
      if (v.closeAfterReply && !v.echo && !str('reply')) put('closeAfterReply', 'closing after a reply needs a reply: give a reply template or tick echo');
      Object.assign(errs, checkRuleRows(d.rules));
    }
    if (d.kind === 'udp' || d.kind === 'tcp-client') put('reply', checkTemplate(str('reply'), 'reply'));
    if (d.kind === 'udp') {
      put('remote', checkEndpoint(str('remote'), false, 'remote'));
      put('multicastInterface', checkHost(str('multicastInterface'), false));
      if (str('multicastTtl').trim()) put('multicastTtl', checkWhole(str('multicastTtl'), 'TTL', 0, 255));
    }
    if (d.kind === 'http' && !str('root').trim()) put('root', 'give the folder to serve');
    return errs;
  }

  /** Validates, then asks the server to start the session; errors land next to their fields. */
  async submit(): Promise<void> {
    const d = this.dialog;
    const store = this.store;
    if (!d || d.busy) return;
    d.errors = this.validate(d);
    d.formError = undefined;
    if (Object.keys(d.errors).length) {
      d.refusals++;
      store.notify();
      return;
    }
    d.busy = true;
    store.notify();
    const r = await store.request({ type: 'create', spec: specOf(d), ...(d.confirm ? { confirm: true } : {}) });
    d.busy = false;
    if (!r.ok && r.error.code === 'SOCKIT_ERR_CONFIRM') {
      // sockit's own rule (the one the CLI warns by): the person sees what it means and starts it anyway, or changes it
      d.confirm = r.error.message;
      store.notify();
      return;
    }
    if (!r.ok) {
      const f = r.error.field;
      if (f && (f in d.values || f.startsWith('rules.'))) d.errors = { ...d.errors, [f]: r.error.message + (r.error.hint ? ` — ${r.error.hint}` : '') };
      else d.formError = { message: r.error.message, hint: r.error.hint };
      d.refusals++;
      store.notify();
      return;
    }
    store.settings.forms[d.kind] = d.values;
    store.settings.lastKind = d.kind;
    saveSettings(store.settings);
    this.dialog = undefined;
    if (r.session) {
      store.feed.upsert(r.session);
      store.select(r.session.id);
    }
    store.notify();
  }
}
