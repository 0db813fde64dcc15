// Checks of what a person types, run before anything is sent: the core's own parsers and builders, their sentences returned rather than thrown.
import { hexMessageSource } from '../wire/hex.js';
import { applyEscapes, compileMessage } from '../wire/message.js';
import { parseEndpoint, parseHost, parseInteger, parsePort, parseSize } from '../wire/endpoint.js';
import { canonicalEncoding } from '../wire/encoding-name.js';
import { parseRule } from '../wire/rules.js';
import { INTERVAL_NAME, MAX_INTERVAL_MS } from '../bridge/protocol.js';
import { faultPatch } from '../wire/faults.js';

/** The sentence a parser refuses a value with, or undefined when it takes it. */
export function problem(parse: () => unknown): string | undefined {
  try {
    parse();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Hex as the bridge accepts it (`48 65 6c`, `0x48,0x65`, `\x48\x65`, `\r\n`, `"text"`, …): its byte count in UTF-8, or the problem. */
export function checkHex(input: string): { bytes: number } | { error: string } {
  let bytes = 0;
  const error = problem(() => (bytes = compileMessage(hexMessageSource(input, 'hex'), { name: 'hex' }).render().length));
  return error === undefined ? { bytes } : { error };
}

/** Escaped text as the bridge reads it (`\n \r \t \0 \\ \{ \} \xHH`); `name` is the field its sentence names. */
export function checkEscapes(source: string, name: string): string | undefined {
  return problem(() => applyEscapes(source, undefined, name));
}

/** A message builder as the bridge compiles it: escapes, `{data}`, `{hex:…}`, `{crc16modbus}`, …. */
export function checkTemplate(source: string, name: string): string | undefined {
  return problem(() => compileMessage(source, { name }));
}

/** A port to listen on (0: any free port) or, without `allowZero`, to reach. */
export function checkPort(value: string, allowZero: boolean): string | undefined {
  return problem(() => parsePort(value, 'port', { allowZero }));
}

/** A host name or address (brackets allowed around IPv6). */
export function checkHost(value: string, required: boolean): string | undefined {
  if (value.trim() === '') return required ? 'give a host name or an IP address' : undefined;
  return problem(() => parseHost(value, 'host'));
}

/** Where to send: `host:port`, `[v6]:port` or a port on 127.0.0.1; `name` is the field the bridge would name. */
export function checkEndpoint(value: string, required: boolean, name: string): string | undefined {
  if (value.trim() === '') return required ? 'give an address as host:port' : undefined;
  return problem(() => parseEndpoint(value, name, undefined, { allowZero: false }));
}

/** An encoding name, against the list the server knows. */
export function checkEncoding(value: string, known: readonly string[]): string | undefined {
  const t = canonicalEncoding(value);
  if (t === '') return 'choose an encoding (utf8, gbk, …)';
  if (known.length && !known.some((k) => canonicalEncoding(k) === t)) {
    const close = known.filter((k) => canonicalEncoding(k).startsWith(t.slice(0, 3))).slice(0, 4);
    return `unknown encoding '${value}'${close.length ? `; did you mean ${close.join(', ')}?` : ''}`;
  }
  return undefined;
}

/** A frame choice: the named kinds or a non-empty delimiter. */
export function checkFrame(value: string): string | undefined {
  return value === '' ? 'a delimiter cannot be empty' : undefined;
}

/** A file send's packet size (empty: the default) and the pause between packets (empty: none); the problem, by field. */
export function checkFilePacing(packet: string, delayMs: string, maxPacket: number): { field: 'packet' | 'delay'; message: string } | undefined {
  const p = packet.trim() ? problem(() => parseSize(packet, 'the packet size', 1, maxPacket)) : undefined;
  if (p) return { field: 'packet', message: p };
  const d = delayMs.trim() ? problem(() => parseInteger(delayMs, 'the delay between packets in milliseconds', 0, MAX_INTERVAL_MS)) : undefined;
  return d ? { field: 'delay', message: d } : undefined;
}

/** A whole number from `min` to `max`, named `name` in its sentence. */
export function checkWhole(value: string, name: string, min: number, max: number): string | undefined {
  return problem(() => parseInteger(value, name, min, max));
}

/** A cyclic send's interval: a whole number of milliseconds from `min` to a day. */
export function checkInterval(value: string, min: number): string | undefined {
  return problem(() => parseInteger(value, INTERVAL_NAME, min, MAX_INTERVAL_MS));
}

/** A relay's fault as typed (`200±20` for latency, `64k` for bandwidth, `0.1` or `10%` for loss), read by the CLI's parser; empty is off. */
export function checkFault(name: string, value: string): string | undefined {
  if (value.trim() === '') return undefined;
  return problem(() => faultPatch(name, value, 'both', name));
}

/** One rule of a rules table as the bridge checks it: the match alone, then the whole rule; problems by `rules.<i>.<field>`. */
export function checkRule(r: { match: string; action: string; reply: string; delayMs: string }, i: number): Record<string, string> {
  const at = (f: string) => `rules.${i}.${f}`;
  const where = `rule ${i + 1}`;
  if (!r.match.trim()) return { [at('match')]: `${where}: give what to match: text, prefix:…, contains:…, /regex/, hex:01 03 ?? ??, len>N or any` };
  const match = problem(() => parseRule({ match: r.match, action: 'ignore' }, { where }));
  if (match) return { [at('match')]: match };
  const delay = r.delayMs.trim();
  if (delay && !/^\d{1,8}$/.test(delay)) return { [at('delayMs')]: `${where}: the delay is whole milliseconds, such as 200` };
  if (r.action !== 'reply') return {};
  if (r.reply === '') return { [at('reply')]: `${where}: give a reply, or choose close, reset or ignore` };
  const reply = problem(() => parseRule({ match: r.match, reply: r.reply }, { where }));
  return reply ? { [at('reply')]: reply } : {};
}
