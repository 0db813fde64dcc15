// Lines typed into a listening command: text for every peer, `@id text` for one, and the slash commands /clients, /kick and /help.
import { createInterface } from 'node:readline';
import type { ConversationInfo } from '../net/conversation.js';
import { formatBytes } from '../wire/format-bytes.js';

/** What one typed line asks for. */
export type TypedLine =
  | { kind: 'send'; target: number | 'all'; text: string }
  | { kind: 'clients' }
  | { kind: 'kick'; id: number }
  | { kind: 'help' }
  /** Nothing is sent: the line looks like a mistake, and `message` says why. */
  | { kind: 'problem'; message: string };

/** What /help prints. */
export const TYPED_LINES_HELP = [
  'a line           sent to every client',
  '@2 text          sent to client #2 only',
  '/clients         the clients connected now, with what each sent and received',
  '/kick 2          close client #2',
  '/help            this list',
  '@@text, //text   a line that starts with @ or / (sent as @text, /text)',
].join('\n');

/** Reads one typed line. A line that starts with `@` or `/` but says nothing sensible is a problem, never sent as it is. */
export function parseTypedLine(line: string): TypedLine {
  if (line.startsWith('@@') || line.startsWith('//')) return { kind: 'send', target: 'all', text: line.slice(1) };
  if (line.startsWith('@')) {
    const m = /^@(\d+)(?:\s(.*))?$/s.exec(line);
    if (!m) return { kind: 'problem', message: `'${line.split(/\s/)[0]}' is not a client number; nothing sent (@2 text sends to client #2; @@ starts a line with @)` };
    if (m[2] === undefined || m[2] === '') return { kind: 'problem', message: `@${m[1]}: nothing to send; write @${m[1]} <text>` };
    return { kind: 'send', target: Number(m[1]), text: m[2] };
  }
  if (line.startsWith('/')) {
    const [name, ...args] = line.slice(1).trim().split(/\s+/);
    if (name === 'clients' && args.length === 0) return { kind: 'clients' };
    if (name === 'help' && args.length === 0) return { kind: 'help' };
    if (name === 'kick') {
      return args.length === 1 && /^\d+$/.test(args[0]!) ? { kind: 'kick', id: Number(args[0]) } : { kind: 'problem', message: '/kick needs one client number: /kick 2' };
    }
    return { kind: 'problem', message: `unknown command '${line}'; nothing sent (/help lists the commands; // starts a line with /)` };
  }
  return { kind: 'send', target: 'all', text: line };
}

/** What /clients lists of each peer. */
export type PeerCounts = Pick<ConversationInfo, 'id' | 'peer' | 'bytesIn' | 'bytesOut' | 'messagesIn' | 'messagesOut'> & { since?: number };

/** Who is connected, one a line: `#2 127.0.0.1:51234  for 12 s  ↓1.20 kB in 3, ↑40 B in 1`. */
export function formatClients(clients: readonly PeerCounts[], noun: string): string {
  if (clients.length === 0) return `no ${noun} now`;
  const now = Date.now();
  return clients
    .map((c) => `#${c.id} ${c.peer}${c.since === undefined ? '' : `  for ${Math.round((now - c.since) / 1000)} s`}  ↓${formatBytes(c.bytesIn)} in ${c.messagesIn}, ↑${formatBytes(c.bytesOut)} in ${c.messagesOut}`)
    .join('\n');
}

/** What a listening command does with typed lines. */
export interface TypedLineHandlers {
  /** Encodes a line's text; its errors are told and the line skipped. */
  encode(text: string): Buffer;
  /** Sends to one peer or all; returns how many it reached. */
  send(bytes: Buffer, target: number | 'all'): number;
  /** What to say when a line reached nobody. */
  nobody(target: number | 'all'): string;
  /** The peers now, for /clients. */
  clients(): readonly PeerCounts[];
  /** What peers are called here (`client`, `peer`). */
  noun: string;
  /** Closes one peer; false when there is no such peer. Absent where peers have no connection (UDP). */
  kick?(id: number): boolean;
  /** Where answers to commands and problems go (stderr, so stdout stays the session's log). */
  tell(text: string): void;
}

/** Reads stdin by lines and does what each asks. Returns a function that stops reading. */
export function readTypedLines(h: TypedLineHandlers): () => void {
  const rl = createInterface({ input: process.stdin, terminal: false });
  rl.on('line', (line) => {
    const typed = parseTypedLine(line);
    switch (typed.kind) {
      case 'problem':
        return h.tell(typed.message);
      case 'help':
        return h.tell(TYPED_LINES_HELP.replaceAll('client', h.noun));
      case 'clients':
        return h.tell(formatClients(h.clients(), `${h.noun}s`));
      case 'kick':
        if (!h.kick) return h.tell(`/kick: a UDP ${h.noun} has no connection to close`);
        return h.tell(h.kick(typed.id) ? `closing ${h.noun} #${typed.id}` : `no ${h.noun} #${typed.id}`);
      case 'send': {
        let bytes: Buffer;
        try {
          bytes = h.encode(typed.text);
        } catch (err) {
          return h.tell(`error: ${(err as Error).message}`);
        }
        if (h.send(bytes, typed.target) === 0) h.tell(h.nobody(typed.target));
      }
    }
  });
  // stdin closing (a pipe, /dev/null) must not stop a server
  rl.on('error', () => {});
  return () => {
    rl.close();
    process.stdin.destroy();
  };
}
