// `decode: 'unless-utf8'`: a UTF-8 session leaves out the text its observers can decode from the bytes alone,
// and still decodes what they cannot: a character split between reads, bytes that are not UTF-8.
import test from '../helpers/test.mjs';
import assert from 'node:assert/strict';
import net from 'node:net';
import { listenTcp } from '../../dist/index.js';
import { utf8EndsInside } from '../../dist/net/conversation.js';
import { waitFor } from '../helpers/index.mjs';

// continuation bytes alone at the end cannot be told from a cut character: counted as one (the next read is decoded)
test('utf8EndsInside: a character cut at the end, and nothing else', () => {
  const cases = [
    ['', false], ['61', false], ['c3a9', false], ['c3', true], ['e4bd', true], ['e4bda0', false],
    ['f09f98', true], ['f09f9880', false], ['61f0', true], ['80', true], ['8080', true], ['80808080', true],
  ];
  for (const [hex, inside] of cases) assert.equal(utf8EndsInside(Buffer.from(hex, 'hex')), inside, hex);
});

/** Sends each chunk once the server has read the one before, so each is one read; resolves with the data events. */
async function readsOf(t, options, chunks) {
  const events = [];
  const s = await listenTcp({ port: 0, host: '127.0.0.1', decode: 'unless-utf8', ...options }, (e) => events.push(e));
  t.after(() => s.close(100));
  const c = net.connect(s.port, '127.0.0.1');
  t.after(() => c.destroy());
  await new Promise((r) => c.once('connect', r));
  const data = () => events.filter((e) => e.event === 'data');
  for (const [i, chunk] of chunks.entries()) {
    c.write(chunk);
    await waitFor(() => data().length > i, { what: `read ${i + 1} at the server` });
  }
  return data();
}

test("decode 'unless-utf8': valid UTF-8 comes without text; a split character and stray bytes come decoded", async (t) => {
  const you = Buffer.from('你', 'utf8'); // e4 bd a0
  const reads = await readsOf(t, {}, [
    Buffer.from('héllo'),
    Buffer.concat([Buffer.from('a'), you.subarray(0, 2)]),
    Buffer.concat([you.subarray(2), Buffer.from('b')]),
    Buffer.from('plain again'),
    Buffer.from([0x61, 0xff, 0x62]),
  ]);
  assert.deepEqual(reads.map((e) => e.text), [undefined, 'a', '你b', undefined, 'a\ufffdb']);
  assert.deepEqual(Buffer.from(reads[0].payload).toString(), 'héllo', 'the bytes are all there');
});

test("decode 'unless-utf8' is for UTF-8 only: GBK is decoded as before, and so is every message for rules that read text", async (t) => {
  const gbk = await readsOf(t, { encoding: 'gbk' }, [Buffer.from('c4e3bac3', 'hex')]);
  assert.equal(gbk[0].text, '你好');
  const answered = await readsOf(t, { reply: 'got {data}' }, [Buffer.from('ping')]);
  assert.equal(answered[0].text, 'ping');
});
