// Reading what a page sends: the shape of every field checked before anything uses it, so no message can throw.
import { describeValue, usage } from './hub-error.js';
import { rulesShapeError } from './rules-spec.js';
import { PROTOCOL_VERSION, type PageMessage, type WireError } from './protocol.js';

/** What a page's message turned out to be. */
export type PageMessageCheck =
  | { ok: true; message: PageMessage }
  /** Not the protocol: the page is told why and its socket closed. */
  | { ok: false; refuse: string }
  /** A numbered request whose fields are wrong: answered with this error. */
  | { ok: false; req: number; error: WireError };

type Fields = Record<string, unknown>;

function isRecord(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Own properties only: a field named like something on Object.prototype is not there.
function own(fields: Fields, key: string): unknown {
  return Object.hasOwn(fields, key) ? fields[key] : undefined;
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isOptional = (v: unknown, check: (v: unknown) => boolean) => v === undefined || v === null || check(v);
const isText = (v: unknown): v is string => typeof v === 'string';
const isSessionId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 64;

// clients a page can pick at once: the bridge lists at most a few hundred
const MAX_PICKED = 1000;

const SESSION_REQUESTS = new Set(['close', 'restart', 'remove', 'stop-cyclic', 'reset-counters', 'set-rules', 'capture-start', 'capture-stop']);
// requests about no one session
const FREE_REQUESTS = new Set(['create', 'decode', 'workspace-open', 'workspace-save', 'workspace-start']);
const REQUESTS = new Set([...SESSION_REQUESTS, ...FREE_REQUESTS, 'send', 'disconnect', 'faults']);

/** The first problem with a request's fields, as a usage error naming the field; undefined when there is none. */
function requestProblem(type: string, m: Fields): WireError | undefined {
  const bad = (field: string, sentence: string) => usage(sentence, field).wire;
  if (!FREE_REQUESTS.has(type) && !isSessionId(own(m, 'session'))) return bad('session', `session must be a session id, got ${describeValue(own(m, 'session'))}`);
  switch (type) {
    case 'create':
      if (!isOptional(own(m, 'confirm'), (v) => typeof v === 'boolean')) return bad('confirm', `confirm must be true or false, got ${describeValue(own(m, 'confirm'))}`);
      return isRecord(own(m, 'spec')) ? undefined : bad('spec', 'missing session settings');
    case 'send': {
      const target = own(m, 'target');
      const list = Array.isArray(target) && target.length <= MAX_PICKED && target.every(isCount);
      if (!(isCount(target) || list || (isText(target) && target.length <= 256))) return bad('target', `target must be all, a client number, a list of them or an address, got ${describeValue(target)}`);
      if (!isOptional(own(m, 'repeatMs'), (v) => typeof v === 'number')) return bad('interval', `the interval must be a number of milliseconds, got ${describeValue(own(m, 'repeatMs'))}`);
      return payloadProblem(own(m, 'payload'));
    }
    case 'set-rules':
      return rulesShapeError(own(m, 'rules'));
    case 'disconnect':
      if (!isOptional(own(m, 'reset'), (v) => typeof v === 'boolean')) return bad('reset', `reset must be true or false, got ${describeValue(own(m, 'reset'))}`);
      return isCount(own(m, 'client')) ? undefined : bad('client', `client must be a client number, got ${describeValue(own(m, 'client'))}`);
    case 'faults': {
      // each value is checked by the core when the faults change; here, only the shape
      const f = own(m, 'faults');
      if (!isRecord(f)) return bad('faults', `faults must be an object of faults, got ${describeValue(f)}`);
      for (const dir of ['up', 'down']) if (!isOptional(own(f, dir), isRecord)) return bad('faults', `faults.${dir} must be an object of faults, got ${describeValue(own(f, dir))}`);
      return isOptional(own(f, 'refuse'), (v) => typeof v === 'number') ? undefined : bad('faults', `faults.refuse must be a probability, got ${describeValue(own(f, 'refuse'))}`);
    }
    case 'workspace-save':
      if (!isRecord(own(m, 'doc'))) return bad('doc', `the workspace must be an object, got ${describeValue(own(m, 'doc'))}`);
      if (!isOptional(own(m, 'force'), (v) => typeof v === 'boolean')) return bad('force', `force must be true or false, got ${describeValue(own(m, 'force'))}`);
      return isText(own(m, 'version')) ? undefined : bad('version', `version must be the version the page read, got ${describeValue(own(m, 'version'))}`);
    case 'workspace-start':
      if (!isOptional(own(m, 'confirm'), (v) => typeof v === 'boolean')) return bad('confirm', `confirm must be true or false, got ${describeValue(own(m, 'confirm'))}`);
      return isText(own(m, 'name')) && own(m, 'name') !== '' ? undefined : bad('name', `name must be a session's name, got ${describeValue(own(m, 'name'))}`);
    case 'decode': {
      if (!isText(own(m, 'encoding'))) return bad('encoding', `encoding must be a name, got ${describeValue(own(m, 'encoding'))}`);
      const items = own(m, 'items');
      return Array.isArray(items) && items.every(isText) ? undefined : bad('items', 'items must be a list of base64 texts');
    }
    default:
      return undefined;
  }
}

function payloadProblem(p: unknown): WireError | undefined {
  const bad = (sentence: string) => usage(sentence, 'message').wire;
  if (!isRecord(p)) return bad('message: nothing to send');
  const kind = own(p, 'kind');
  const eol = own(p, 'eol');
  switch (kind) {
    case 'text':
      if (!isOptional(eol, (v) => v === 'none' || v === 'lf' || v === 'crlf')) return bad(`line ending must be none, lf or crlf, got ${describeValue(eol)}`);
      if (!isOptional(own(p, 'text'), isText)) return bad('message: the text must be text');
      return isOptional(own(p, 'escapes'), (v) => typeof v === 'boolean') ? undefined : bad('message: escapes must be true or false');
    case 'hex':
      // hex is exactly the bytes typed: a line ending is a text-mode setting
      if (!isOptional(eol, (v) => v === 'none')) return bad('message: hex has no line ending; type its bytes');
      return isOptional(own(p, 'hex'), isText) ? undefined : bad('message: the hex must be text');
    case 'base64':
      return isOptional(own(p, 'data'), isText) ? undefined : bad('message: the base64 data must be text');
    case 'message':
      if (!isOptional(eol, (v) => v === 'none' || v === 'lf' || v === 'crlf')) return bad(`line ending must be none, lf or crlf, got ${describeValue(eol)}`);
      return isText(own(p, 'source')) ? undefined : bad('message: the message must be text');
    default:
      return bad(`message: unknown payload kind ${describeValue(kind)}`);
  }
}

/**
 * Checks a page's message (any JSON value): the protocol's shape, then every field a request
 * uses. Never throws; what it lets through can be used as its type says.
 */
export function checkPageMessage(value: unknown): PageMessageCheck {
  if (!isRecord(value)) return { ok: false, refuse: 'a message was not an object' };
  const type = own(value, 'type');
  if (!isText(type)) return { ok: false, refuse: 'a message had no type' };
  if (type === 'hello') {
    const version = own(value, 'version');
    if (version !== PROTOCOL_VERSION) return { ok: false, refuse: `this page speaks protocol version ${describeValue(version)}, the server ${PROTOCOL_VERSION}: reload the page` };
    const binary = own(value, 'binary');
    return { ok: true, message: binary === true ? { type, version, binary } : { type, version } };
  }
  if (type === 'ack') {
    const seq = own(value, 'seq');
    return isCount(seq) ? { ok: true, message: { type, seq } } : { ok: false, refuse: 'an ack without a batch number' };
  }
  const req = own(value, 'req');
  if (typeof req !== 'number' || !Number.isSafeInteger(req)) return { ok: false, refuse: `${describeValue(type)} needs a request number` };
  if (!REQUESTS.has(type)) return { ok: false, req, error: usage(`unknown request ${describeValue(type)}`).wire };
  const error = requestProblem(type, value);
  if (error) return { ok: false, req, error };
  return { ok: true, message: value as unknown as PageMessage };
}
