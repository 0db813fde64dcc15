// Properties of the bridge's message checks: any JSON value a page sends gets a clean refusal or a usage error, never a throw.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkPageMessage } from '../../dist/bridge/page-message.js';
import { normaliseSpec } from '../../dist/bridge/spec.js';
import { encodePayload } from '../../dist/bridge/payload.js';
import { HubError } from '../../dist/bridge/hub-error.js';
import { UsageError } from '../../dist/index.js';
import { property } from './harness.mjs';

const TYPES = ['hello', 'ack', 'create', 'close', 'restart', 'remove', 'send', 'stop-cyclic', 'disconnect', 'decode'];
// names a lookup through the prototype would find
const INHERITED = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty'];

/** A JSON object text with these keys, parsed as the bridge parses it (`__proto__` becomes an own key). */
function objectOf(entries) {
  return entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',');
}
const parsed = (entries) => JSON.parse(`{${objectOf(entries)}}`);

/** A value of any JSON shape, biased to what the protocol's fields hold and to prototype names. */
const fieldValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(...INHERITED, 'all', 'utf8', 'gbk', 'tcp-server', 'udp', 'http', 'text', 'hex', 'base64', 'lf', 'crlf', 's1', '', 1, 0, -1, 1.5, true, null),
  fc.constantFrom(...INHERITED).map((k) => ({ [k]: 0 })),
);

const FIELDS = ['type', 'version', 'seq', 'req', 'session', 'spec', 'target', 'payload', 'repeatMs', 'client', 'encoding', 'items', ...INHERITED];
// saveTo is left out: a path that checks would make the fuzzer write files where it runs
const SPEC_FIELDS = ['kind', 'port', 'host', 'encoding', 'frame', 'welcome', 'reply', 'quit', 'echo', 'chat', 'closeAfterReply', 'remote', 'root', 'listing', 'reconnect', 'overwrite', 'broadcast', 'join', 'multicastInterface', 'multicastTtl', ...INHERITED];
const PAYLOAD_FIELDS = ['kind', 'text', 'hex', 'data', 'eol', 'escapes', ...INHERITED];

const entriesOf = (names, value) => fc.uniqueArray(fc.tuple(fc.constantFrom(...names), value), { selector: ([k]) => k, maxLength: 8 });

const spec = fc.oneof(
  entriesOf(SPEC_FIELDS, fieldValue).chain((e) => fc.constantFrom('tcp-server', 'tcp-client', 'udp', 'http').map((kind) => parsed([['kind', kind], ...e.filter(([k]) => k !== 'kind')]))),
  fieldValue,
);
const payload = fc.oneof(
  entriesOf(PAYLOAD_FIELDS, fieldValue).chain((e) => fc.constantFrom('text', 'hex', 'base64').map((kind) => parsed([['kind', kind], ...e.filter(([k]) => k !== 'kind')]))),
  fieldValue,
);

/** A page message: any JSON value, or an object shaped like a request with fields of any shape. */
const pageMessage = fc.oneof(
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  {
    weight: 4,
    arbitrary: fc
      .record({ type: fc.oneof(fc.constantFrom(...TYPES), fieldValue), req: fc.oneof(fc.integer(), fieldValue), fields: entriesOf(FIELDS, fieldValue), spec, payload })
      .map(({ type, req, fields, spec: s, payload: p }) => {
        const rest = fields.filter(([k]) => !['type', 'req', 'spec', 'payload'].includes(k));
        return parsed([['type', type], ['req', req], ['spec', s], ['payload', p], ...rest]);
      }),
  },
);

/** A sentence for a person: text, not empty, and no longer than a message can carry sensibly. */
function assertSentence(text) {
  assert.equal(typeof text, 'string');
  assert.ok(text.length > 0 && text.length < 400, text);
}

export const properties = [
  property('bridge: any JSON value from a page is accepted, refused or answered with a usage error; never thrown on', 1500, () =>
    fc.property(pageMessage, (value) => {
      const r = checkPageMessage(value);
      if (r.ok) {
        assert.ok(TYPES.includes(r.message.type));
        return;
      }
      if ('refuse' in r) return assertSentence(r.refuse);
      assert.ok(Number.isSafeInteger(r.req));
      assert.equal(r.error.code, 'SOCKIT_ERR_USAGE');
      assertSentence(r.error.message);
      JSON.stringify(r); // what goes back to the page must serialise
    }),
  ),
  property('bridge: session settings of any shape are normalised or refused with a usage error naming a field', 1000, () =>
    fc.property(spec, (s) => {
      try {
        const normal = normaliseSpec(s);
        JSON.stringify(normal);
      } catch (err) {
        assert.ok(err instanceof HubError, `not a HubError: ${err}`);
        assert.equal(err.wire.code, 'SOCKIT_ERR_USAGE', err.wire.message);
        assertSentence(err.wire.message);
      }
    }),
  ),
  property('bridge: a payload that passed the checks is encoded or refused with a usage error', 1000, () =>
    fc.property(payload, fc.constantFrom('utf8', 'gbk', 'utf16le'), fc.constantFrom({ kind: 'raw' }, { kind: 'len16' }, { kind: 'line' }), (p, encoding, frame) => {
      const checked = checkPageMessage({ type: 'send', req: 1, session: 's1', target: 'all', payload: p });
      if (!checked.ok) return;
      try {
        encodePayload(p, encoding, frame);
      } catch (err) {
        assert.ok(err instanceof UsageError, `not a usage error: ${err}`);
      }
    }),
  ),
];
