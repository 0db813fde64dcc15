// What a session does with each message it reads: the lessons' server behaviours, compiled once per session.
import { encodeFrame, type FrameSpec } from '../wire/framing.js';
import { compileTemplate, type Template } from '../wire/template.js';

/** How a session answers what it reads. Every field is optional. */
export interface BehaviourOptions {
  /** Sent to each new peer (a template: `{peer}` and escapes). */
  welcome?: string;
  /** Answer to each message (a template: `{data}`, `{peer}`, `{n}`). */
  reply?: string;
  /** Answer each message with its exact bytes. */
  echo?: boolean;
  /** Close a connection after the first reply. */
  closeAfterReply?: boolean;
  /** Close a connection whose message is exactly this word. */
  quit?: string;
  /** Relay each peer's messages to every other peer. */
  chat?: boolean;
}

/** One conversation partner, as a behaviour sees it: it can be written to and ended. */
export interface Link {
  readonly id: number;
  readonly peer: string;
  /** Writes bytes to the peer (counted, shown and backpressured by the session). */
  write(bytes: Buffer): void;
  /** Ends the conversation gracefully, recording why. */
  end(reason: string): void;
}

/** Behaviour options compiled for one session: templates parsed once, flags read once. */
export class Behaviour {
  /** True when answering needs each message's text (`{data}` in the reply, or a quit word). */
  readonly needsText: boolean;
  /** True when there is anything to do per message. */
  readonly active: boolean;
  private readonly reply: Template | undefined;
  private readonly welcomeTemplate: Template | undefined;
  private readonly raw: boolean;

  constructor(
    private readonly options: Readonly<BehaviourOptions>,
    encoding: string,
    private readonly frame: FrameSpec,
    /** Everyone else this session talks to, for `chat`. */
    private readonly others: () => Iterable<Link> = () => [],
  ) {
    this.reply = options.reply !== undefined ? compileTemplate(options.reply, encoding, '--reply') : undefined;
    this.welcomeTemplate = options.welcome !== undefined ? compileTemplate(options.welcome, encoding, '--welcome') : undefined;
    this.needsText = (this.reply !== undefined && !this.reply.isConstant) || options.quit !== undefined;
    this.active = Boolean(this.reply || options.echo || options.chat || options.quit !== undefined);
    this.raw = frame.kind === 'raw';
  }

  /** Greets a new peer, if a welcome is set. */
  welcome(link: Link): void {
    if (this.welcomeTemplate) link.write(this.welcomeTemplate.render({ data: '', peer: link.peer, n: 0 }));
  }

  /** Answers one message. `text` is its decoded form, given whenever {@link needsText}. */
  onMessage(link: Link, message: Buffer, n: number, text: string | undefined): void {
    const o = this.options;
    if (o.quit !== undefined && text !== undefined && text.replace(/\r?\n$/, '') === o.quit) {
      link.end(`quit word '${o.quit}'`);
      return;
    }
    let replied = false;
    // the message as it goes back out: echo and chat share one framed copy
    const relayed = o.echo || o.chat ? (this.raw ? message : encodeFrame(this.frame, message, true)) : message;
    if (o.echo) {
      link.write(relayed);
      replied = true;
    }
    if (this.reply) {
      link.write(encodeFrame(this.frame, this.reply.render({ data: text ?? '', peer: link.peer, n })));
      replied = true;
    }
    if (o.chat) {
      for (const other of this.others()) if (other !== link) other.write(relayed);
    }
    if (replied && o.closeAfterReply) link.end('closed after reply (--close)');
  }
}
