// Checking what a page asks to create: each kind's fields through the core's validators, normalised, errors naming the field.
import { statSync } from 'node:fs';
import { basename, dirname, resolve as resolvePath } from 'node:path';
import { resolveEncoding } from '../wire/codec.js';
import { parseFrame } from '../wire/framing.js';
import { parseEndpoint, parseHost, parseInteger, parsePort } from '../wire/endpoint.js';
import { compileTemplate } from '../wire/template.js';
import { parseHeaderLine, parseWsUrl } from '../wire/ws-url.js';
import { applyFaultPatch, noFaults, type FaultPatch } from '../wire/faults.js';
import { checkField, describeValue, usage } from './hub-error.js';
import { checkWireRules } from './rules-spec.js';
import type { SessionKind, SessionSpec, WireRule } from './protocol.js';

/** The spec of one kind of session. */
export type SpecOf<K extends SessionKind> = Extract<SessionSpec, { kind: K }>;

/** The fields of a spec as the page sent them, each read through the core's validators. */
export class SpecFields {
  /** The spec's encoding, checked (utf8 when not given). */
  readonly encoding: string;

  constructor(private readonly raw: Record<string, unknown>) {
    const encoding = this.text('encoding') ?? 'utf8';
    this.encoding = checkField('encoding', () => resolveEncoding(encoding, 'encoding'));
  }

  /** The field as sent, unchecked; only the object's own properties count. */
  value(field: string): unknown {
    return Object.hasOwn(this.raw, field) ? this.raw[field] : undefined;
  }

  /** Optional text: undefined when absent or empty. */
  text(field: string): string | undefined {
    const v = this.value(field);
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') throw usage(`${field} must be text`, field);
    return v;
  }

  /** Text that must be given; `missing` is the sentence when it is not. */
  required(field: string, missing: string): string {
    const t = this.text(field);
    if (t === undefined) throw usage(missing, field);
    return t;
  }

  /** An optional whole number from `min` to `max` (as text or a number); undefined when absent or empty. */
  whole(field: string, min: number, max: number): number | undefined {
    const v = this.value(field);
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'number' && typeof v !== 'string') throw usage(`${field} must be a whole number, got ${describeValue(v)}`, field);
    return checkField(field, () => parseInteger(v, field, min, max));
  }

  /** True when the box is ticked, else undefined (left out of the spec). */
  flag(field: string): true | undefined {
    return this.value(field) ? true : undefined;
  }

  /** A port; 0 (any free port) unless `allowZero` is false. */
  port(field = 'port', allowZero = true): number {
    const v = this.value(field);
    if (typeof v !== 'number' && typeof v !== 'string') throw usage(`${field} must be a port number, got ${describeValue(v)}`, field);
    return checkField(field, () => parsePort(v, field, { allowZero }));
  }

  /** An optional host to bind (every interface when absent). */
  host(field = 'host'): string | undefined {
    const h = this.text(field);
    return h === undefined ? undefined : this.hostOf(h, field);
  }

  /** A host that must be given. */
  requiredHost(field: string, missing: string): string {
    return this.hostOf(this.required(field, missing), field);
  }

  private hostOf(h: string, field: string): string {
    return checkField(field, () => parseHost(h, field));
  }

  /** An optional template, compiled once to check it in the spec's encoding. */
  template(field: string): string | undefined {
    const t = this.text(field);
    if (t !== undefined) checkField(field, () => compileTemplate(t, this.encoding, field));
    return t;
  }

  /** The framing (`raw` when not given). */
  frame(field = 'frame'): string {
    const frame = this.text(field) ?? 'raw';
    checkField(field, () => parseFrame(frame, field));
    return frame;
  }

  /** An optional `host:port` to send to; port 0 is refused. */
  remote(field: string): string | undefined {
    const remote = this.text(field);
    if (remote === undefined) return undefined;
    checkField(field, () => parseEndpoint(remote, field, undefined, { allowZero: false }));
    return remote.trim();
  }

  /** A list separated by commas or spaces, normalised to `a, b`; undefined when empty. */
  list(field: string): string | undefined {
    const items = (this.text(field) ?? '').split(/[\s,]+/).filter(Boolean);
    return items.length ? items.join(', ') : undefined;
  }

  /** A WebSocket path: begins with /. */
  path(field: string): string | undefined {
    const p = this.text(field)?.trim();
    if (p !== undefined && !p.startsWith('/')) throw usage(`${field} must begin with /, as /chat`, field);
    return p || undefined;
  }

  /** A ws:// or wss:// address that must be given, normalised. */
  wsUrl(field: string): string {
    const url = this.required(field, 'give the server address, as ws://127.0.0.1:8080/');
    return checkField(field, () => parseWsUrl(url, field)).url;
  }

  /** Request headers, one `Name: value` a line; each line checked. */
  headers(field: string): string | undefined {
    const lines = (this.text(field) ?? '').split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
    for (const line of lines) checkField(field, () => parseHeaderLine(line, field));
    return lines.length ? lines.join('\n') : undefined;
  }

  /** Auto-reply rules, each parsed by the core in the spec's encoding; undefined when not given. */
  rules(field = 'rules'): WireRule[] | undefined {
    const v = this.value(field);
    return v === undefined || v === null ? undefined : checkWireRules(v, this.encoding);
  }

  /**
   * `saveTo` and `overwrite`: a file on this machine that received bytes are saved to, as an
   * absolute path; one that exists is refused unless `overwrite`, so a page cannot clobber a file
   * by mistake. Its folder must exist.
   */
  save(): { saveTo?: string; overwrite?: true } {
    const text = this.text('saveTo')?.trim();
    if (!text) return {};
    const abs = resolvePath(text);
    const overwrite = this.flag('overwrite');
    let stat;
    try {
      stat = statSync(abs);
    } catch {
      try {
        if (!statSync(dirname(abs)).isDirectory()) throw new Error('not a folder');
      } catch {
        throw usage(`saveTo: there is no folder ${dirname(abs)} to save ${basename(abs)} in`, 'saveTo');
      }
      return { saveTo: abs };
    }
    if (stat.isDirectory()) throw usage(`saveTo: ${abs} is a folder; give a file name in it`, 'saveTo');
    if (!overwrite) throw usage(`saveTo: ${abs} exists already; tick Overwrite to replace it, or choose another name`, 'saveTo');
    return { saveTo: abs, overwrite };
  }

  /** A folder that exists, as an absolute path. */
  folder(field: string, missing: string): string {
    const abs = resolvePath(this.required(field, missing));
    let isDir = false;
    try {
      isDir = statSync(abs).isDirectory();
    } catch {
      throw usage(`there is no folder ${abs}`, field);
    }
    if (!isDir) throw usage(`${abs} is a file, not a folder`, field);
    return abs;
  }
}

/** A relay's faults as a page sends them (`faults`), checked by the core; undefined when none. */
export function checkFaults(value: unknown, field = 'faults'): FaultPatch | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object') throw usage(`${field} must be an object of faults`, field);
  const patch = value as FaultPatch;
  // the core's check; what it returns is the patch without its zeros
  const f = checkField(field, () => applyFaultPatch(noFaults(), patch));
  return { up: f.up, down: f.down, refuse: f.refuse };
}

/** Leaves out the fields that were not given, as the page would have. */
function given<T extends object>(spec: T): T {
  for (const k of Object.keys(spec) as (keyof T)[]) if (spec[k] === undefined) delete spec[k];
  return spec;
}

/**
 * One check per kind of session. Object literals evaluate in order, so each field's error is
 * the one a person filling the form from the top would meet first.
 */
const SPEC_CHECKS: { [K in SessionKind]: (f: SpecFields) => SpecOf<K> } = {
  'tcp-server': (f) => {
    const frame = f.frame();
    return given({
      kind: 'tcp-server', port: f.port(), encoding: f.encoding, frame, host: f.host(),
      welcome: f.template('welcome'), reply: f.template('reply'), quit: f.text('quit'),
      echo: f.flag('echo'), closeAfterReply: f.flag('closeAfterReply'), chat: f.flag('chat'), rules: f.rules(), ...f.save(),
    });
  },
  'tcp-client': (f) => {
    const frame = f.frame();
    return given({
      kind: 'tcp-client', host: f.requiredHost('host', "host: give the server's name or address"), port: f.port('port', false), encoding: f.encoding, frame,
      reply: f.template('reply'), echo: f.flag('echo'), reconnect: f.flag('reconnect'), ...f.save(),
    });
  },
  udp: (f) =>
    given({
      kind: 'udp', port: f.port(), encoding: f.encoding, host: f.host(), remote: f.remote('remote'), reply: f.template('reply'), echo: f.flag('echo'), ...f.save(),
      // what the groups, the interface and the hops may be is the UDP socket's to say, as for the CLI's --join, --iface and --ttl
      join: f.list('join'), multicastInterface: f.host('multicastInterface'), multicastTtl: f.whole('multicastTtl', 0, 255), broadcast: f.flag('broadcast'),
    }),
  'ws-server': (f) =>
    given({
      kind: 'ws-server', port: f.port(), encoding: f.encoding, host: f.host(), path: f.path('path'),
      subprotocols: f.list('subprotocols'), origins: f.list('origins'),
      welcome: f.template('welcome'), reply: f.template('reply'), quit: f.text('quit'),
      echo: f.flag('echo'), closeAfterReply: f.flag('closeAfterReply'), chat: f.flag('chat'), rules: f.rules(), ...f.save(),
    }),
  'ws-client': (f) =>
    given({
      kind: 'ws-client', url: f.wsUrl('url'), encoding: f.encoding, subprotocols: f.list('subprotocols'),
      origin: f.text('origin')?.trim(), headers: f.headers('headers'), insecure: f.flag('insecure'), ...f.save(),
    }),
  http: (f) => {
    const root = f.folder('root', 'give the folder to serve');
    return given({ kind: 'http', root, port: f.port(), host: f.host(), listing: f.value('listing') === false ? false : undefined });
  },
  proxy: (f) => {
    const port = f.port();
    const target = f.remote('target');
    if (target === undefined) throw usage('target: give the host:port to relay to', 'target');
    const udp = f.flag('udp');
    const ws = f.flag('ws');
    const frame = f.frame();
    if (udp && frame !== 'raw') throw usage('a UDP relay shows each datagram as one message: leave the framing raw', 'frame');
    if (ws && udp) throw usage('a WebSocket relay runs over TCP: untick UDP or WebSocket', 'ws');
    if (ws && frame !== 'raw') throw usage('a WebSocket relay shows each message whole: leave the framing raw', 'frame');
    const faults = checkFaults(f.value('faults'));
    if (ws && faults && (Object.keys(faults.up ?? {}).length || Object.keys(faults.down ?? {}).length || faults.refuse)) {
      throw usage('faults are for TCP and UDP relays; a WebSocket relay passes messages as they come', 'faults');
    }
    return given({ kind: 'proxy', port, target, encoding: f.encoding, frame, host: f.host(), udp, ws, faults: ws ? undefined : faults });
  },
};

/** Checks every field of a spec with the core's validators; the error names the field. */
export function normaliseSpec(spec: SessionSpec): SessionSpec {
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) throw usage('missing session settings');
  const fields = new SpecFields(spec as unknown as Record<string, unknown>);
  const kind = fields.value('kind');
  if (typeof kind !== 'string' || !Object.hasOwn(SPEC_CHECKS, kind)) throw usage(`this sockit cannot create ${describeValue(kind)} sessions`, 'kind');
  return SPEC_CHECKS[kind as SessionKind](fields);
}
