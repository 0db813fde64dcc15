// The page's side of the WebSocket session kinds: form defaults, checks and specs, and log lines for handshakes, frames and close codes.
import type { SessionKind, SessionSpec, WireClose, WireConnect, WireControl, WireRetry } from '../bridge/protocol.js';
import { parseHeaderLine, parseWsUrl } from '../wire/ws-url.js';
import type { LogEntry } from './log-store.js';
import { problem } from './validate.js';

/** Kinds whose one connection is the session. */
export function isClientKind(kind: SessionKind): boolean {
  return kind === 'tcp-client' || kind === 'ws-client';
}

/** Kinds with clients of their own, listed at the side. */
export function isServerKind(kind: SessionKind): boolean {
  return kind === 'tcp-server' || kind === 'ws-server';
}

/** Form defaults of the WebSocket kinds. */
export const WS_FORM_DEFAULTS = {
  'ws-server': { host: '', port: '8080', encoding: 'utf8', path: '', subprotocols: '', origins: '', welcome: '', reply: '', echo: false, closeAfterReply: false, quit: '', chat: false },
  'ws-client': { url: 'ws://127.0.0.1:8080/', encoding: 'utf8', subprotocols: '', origin: '', headers: '', insecure: false },
} satisfies Record<'ws-server' | 'ws-client', Record<string, string | boolean>>;

/** The WebSocket fields' problems, by field (ports, hosts and templates are checked with the other kinds'). */
export function checkWsFields(kind: SessionKind, v: Record<string, string | boolean>): Record<string, string> {
  const str = (k: string) => String(v[k] ?? '').trim();
  const errs: Record<string, string> = {};
  const put = (k: string, e: string | undefined) => {
    if (e) errs[k] = e;
  };
  if (kind === 'ws-server' && str('path') && !str('path').startsWith('/')) put('path', 'a path begins with /, as /chat');
  if (kind === 'ws-client') {
    put('url', str('url') ? problem(() => parseWsUrl(str('url'), 'address')) : 'give the server address, as ws://127.0.0.1:8080/');
    for (const line of str('headers').split('\n')) if (line.trim()) put('headers', errs.headers ?? problem(() => parseHeaderLine(line.trim(), 'header')));
  }
  return errs;
}

/** The spec of a WebSocket form. */
export function wsSpecOf(kind: 'ws-server' | 'ws-client', v: Record<string, string | boolean>): SessionSpec {
  const str = (k: string) => String(v[k] ?? '').trim();
  const opt = (k: string) => (str(k) ? String(v[k]) : undefined);
  if (kind === 'ws-client') {
    return { kind, url: str('url'), encoding: str('encoding'), subprotocols: opt('subprotocols'), origin: opt('origin'), headers: opt('headers'), insecure: Boolean(v.insecure) };
  }
  return {
    kind, host: opt('host'), port: Number(str('port')), encoding: str('encoding'), path: opt('path'), subprotocols: opt('subprotocols'), origins: opt('origins'),
    welcome: opt('welcome'), reply: opt('reply'), quit: opt('quit'), echo: Boolean(v.echo), closeAfterReply: Boolean(v.closeAfterReply), chat: Boolean(v.chat),
  };
}

/** A WebSocket session's name in the list. */
export function wsTitle(spec: SessionSpec, port: number | undefined): string | undefined {
  if (spec.kind === 'ws-server') return `WS server :${port ?? spec.port}${spec.path ?? ''}`;
  if (spec.kind === 'ws-client') return `WS client → ${spec.url.replace(/^wss?:\/\//, '')}`;
  return undefined;
}

/** The handshake on a connect line: path, subprotocol, origin. */
export function handshakeText(e: WireConnect): string {
  const h = e.handshake;
  if (!h) return '';
  const parts = [h.path];
  if (h.subprotocol) parts.push(`subprotocol ${h.subprotocol}`);
  if (h.origin) parts.push(`origin ${h.origin}`);
  return ` · ${parts.join(' · ')}`;
}

/** The close code and reason on a close line. */
export function closeFrameText(e: WireClose): string {
  const f = e.closeFrame;
  if (!f) return '';
  return ` · ${f.by === 'us' ? 'sent' : 'received'} close ${f.code}${f.reason ? ` "${f.reason}"` : ''}`;
}

/** A ping or pong as a log line. */
export function controlEntry(e: WireControl): Omit<LogEntry, 'seq'> {
  // a ping's payload is often a counter or a timestamp; anything unprintable shows as a dot
  const payload = e.bytes ? atob(e.data).replace(/[^\x20-\x7e]/g, '.') : '(no payload)';
  return {
    ts: e.ts, dir: e.direction, event: e.event, id: e.id, peer: e.peer, frame: e.opcode,
    msg: `${payload}${e.rttMs === undefined ? '' : ` · round trip ${e.rttMs} ms`}`,
  };
}

/** A reconnection pause as a log line. */
export function retryEntry(e: WireRetry): Omit<LogEntry, 'seq'> {
  return { ts: e.ts, dir: 'sys', event: e.event, msg: `reconnecting in ${(e.delayMs / 1000).toFixed(1)} s (attempt ${e.attempt}): ${e.reason}` };
}
