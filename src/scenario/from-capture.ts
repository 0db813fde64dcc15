// A capture turned into a scenario: the capturing side's sends replayed, the other side's answers expected, with the original pauses.
import { stringify } from 'yaml';
import type { ConnectRecord } from '../capture/capture-format.js';
import { readCaptureRecords } from '../capture/capture-reader.js';
import { UsageError } from '../errors.js';
import type { ScenarioSpec, StepSpec } from './scenario-format.js';

/** How a capture becomes a scenario. */
export interface FromCaptureOptions {
  /**
   * Which side the scenario plays: `client` connects to the captured server and sends what the
   * client sent; `server` listens and answers as the server did. Default: the capturing side.
   */
  as?: 'client' | 'server';
  /** Which connection of the capture (its `conn` number; default the first TCP, UDP or WebSocket one). */
  conn?: number;
  /** Keep the pauses between what the played side sent (default true). */
  timing?: boolean;
  /** How long each expect waits, in ms (default 5000). */
  within?: number;
}

const printable = (b: Buffer) => b.every((c) => c === 0x0a || c === 0x0d || c === 0x09 || (c >= 0x20 && c < 0x7f));

/** A message as a send or expect value: text when it is plain ASCII (escapes for control characters), else hex. */
function asMessage(b: Buffer, kind: 'send' | 'expect'): StepSpec {
  const text = printable(b) ? b.toString('latin1').replace(/[\\{}]/g, (c) => `\\${c}`).replace(/\r/g, '\\r').replace(/\n/g, '\\n').replace(/\t/g, '\\t') : undefined;
  if (kind === 'send') return { send: text ?? { hex: b.toString('hex').replace(/(..)(?!$)/g, '$1 ') } };
  return { expect: text !== undefined ? { text } : { hex: b.toString('hex').replace(/(..)(?!$)/g, '$1 ') } };
}

/**
 * Builds a scenario from one connection of a capture: a `connect` (or `listen` and `accept`),
 * then, in order, a `send` for each write of the played side (after a `sleep` as long as the
 * pause before it) and an `expect` for what the other side sent, and `expect: closed` or `close`
 * at the end. Consecutive reads are merged, since TCP may split or join them differently.
 */
export async function scenarioFromCapture(path: string, options: FromCaptureOptions = {}): Promise<ScenarioSpec> {
  let connect: ConnectRecord | undefined;
  const steps: StepSpec[] = [];
  let lastAt: number | undefined;
  let whole = false;
  let pendingIn: Buffer[] = [];
  let played: 'in' | 'out' = 'out';
  let closedBy: 'played' | 'other' | undefined;
  const flushIn = () => {
    if (pendingIn.length === 0) return;
    const merged = Buffer.concat(pendingIn);
    pendingIn = [];
    steps.push({ ...(asMessage(merged, 'expect') as { expect: never }), ...(options.within ? { within: options.within } : {}) });
  };
  for await (const r of readCaptureRecords(path)) {
    if (r.event === 'connect' && !connect && (options.conn === undefined || r.conn === options.conn)) {
      connect = r;
      const capturedAs = r.role === 'connected' ? 'client' : 'server';
      // the played side's bytes are 'out' when it is the capturing side
      played = (options.as ?? capturedAs) === capturedAs ? 'out' : 'in';
      whole = r.protocol !== 'tcp' && r.protocol !== 'tls';
      lastAt = r.us;
      continue;
    }
    if (!connect) continue;
    if (r.event === 'data' && r.conn === connect.conn) {
      const bytes = Buffer.from(r.b64, 'base64');
      if (r.dir === played) {
        flushIn();
        // the pause since the last thing either side did, so an answer awaited is not waited for twice
        if (options.timing !== false && lastAt !== undefined && r.us - lastAt >= 1000) steps.push({ sleep: Math.round((r.us - lastAt) / 1000) });
        steps.push(asMessage(bytes, 'send'));
      } else {
        pendingIn.push(bytes);
        // datagrams and WebSocket messages are expected one by one, stream reads merged
        if (whole) flushIn();
      }
      lastAt = r.us;
    } else if (r.event === 'close' && r.conn === connect.conn) {
      const capturedSide = connect.role === 'connected' ? 'client' : 'server';
      const byCapturing = r.by === 'us';
      closedBy = (options.as ?? capturedSide) === capturedSide ? (byCapturing ? 'played' : 'other') : byCapturing ? 'other' : 'played';
      break;
    }
  }
  if (!connect) throw new UsageError(`${path}: no connection${options.conn === undefined ? '' : ` number ${options.conn}`} in this capture`);
  flushIn();
  if (closedBy === 'other') steps.push({ expect: 'closed' });
  else if (closedBy === 'played') steps.push('close');
  const side = options.as ?? (connect.role === 'connected' ? 'client' : 'server');
  const protocol = connect.protocol === 'udp' ? 'udp' : connect.protocol === 'ws' || connect.protocol === 'wss' ? 'ws' : 'tcp';
  const server = side === 'client' ? (connect.role === 'connected' ? connect.peer : connect.local) : connect.role === 'connected' ? connect.peer : connect.local;
  const m = /^\[?(.*?)\]?:(\d+)$/.exec(server ?? '');
  const vars = { host: m?.[1] && !/^(0\.0\.0\.0|::)$/.test(m[1]) ? m[1] : '127.0.0.1', port: Number(m?.[2] ?? 0) };
  const head: StepSpec[] = side === 'client'
    ? [{ connect: protocol === 'ws' ? `ws://{host}:{port}${connect.path ?? '/'}` : `${protocol}://{host}:{port}` }]
    : [{ listen: { protocol, port: '{port}', host: '{host}' } }, { accept: null }];
  return { name: `replay of ${path} (${side} side)`, vars, steps: [...head, ...steps] };
}

/** The same scenario as file text: YAML, or JSON. */
export async function captureToScenario(path: string, options: FromCaptureOptions & { format?: 'yaml' | 'json' } = {}): Promise<{ text: string; steps: number; spec: ScenarioSpec }> {
  const spec = await scenarioFromCapture(path, options);
  const text = options.format === 'json' ? `${JSON.stringify(spec, null, 2)}\n` : stringify(spec);
  return { text, steps: spec.steps.length, spec };
}
