// What a session does with each message it reads: rules, then the lessons' behaviours, compiled once per session.
import { UsageError } from '../errors.js';
import { encodeText } from '../wire/codec.js';
import { encodeFrame, type FrameSpec } from '../wire/framing.js';
import { compileMessage, type Message, type MessageContext } from '../wire/message.js';
import type { AnswerOptions, Rule, RuleSpec } from '../wire/rules.js';
import { RuleSet, type RuleStat } from './rule-set.js';

/** How a session answers what it reads. Every field is optional. */
export interface BehaviourOptions extends AnswerOptions<readonly (string | RuleSpec)[]> {
  /** A JSON or YAML file of rules, reloaded when it changes (after `rules`' own). */
  rulesFile?: string;
  /**
   * With `chat`: put before each relayed message, so the others see who spoke; `{id}` is the
   * sender's number, `{peer}` its address. {@link CHAT_PREFIX} is ncat's `<user1> `; none: the
   * bytes as they are.
   */
  chatPrefix?: string;
}

/** How ncat --chat names a speaker: `<user1> hello`. */
export const CHAT_PREFIX = '<user{id}> ';

/** One conversation partner, as a behaviour sees it: it can be written to and ended. */
export interface Link {
  readonly id: number;
  readonly peer: string;
  /** Writes bytes to the peer (counted, shown and backpressured by the session). */
  write(bytes: Buffer): void;
  /** Ends the conversation gracefully, recording why. */
  end(reason: string): void;
  /** Ends it at once (a TCP reset where there is a connection), recording why. */
  reset(reason: string): void;
  /**
   * Keeps the connection open for an answer still to come, after the peer has finished sending;
   * the returned function lets it end. Links that end with their peer have none.
   */
  hold?(): () => void;
}

const asBuffer = (u: Uint8Array): Buffer => (Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength));

/** In raw framing a single trailing newline is how the peer ended its line, not part of `{data}`. */
export function withoutNewline(text: string): string {
  if (text.endsWith('\r\n')) return text.slice(0, -2);
  return text.endsWith('\n') ? text.slice(0, -1) : text;
}

/** Behaviour options compiled for one session: messages and rules parsed once, flags read once. */
export class Behaviour {
  /** The session's rules, when it has any (or may be given some: `rules` set, even empty). */
  readonly rules: RuleSet | undefined;
  private readonly fixedText: boolean;
  private readonly fixedActive: boolean;
  private readonly reply: Message | undefined;
  private readonly welcomeMessage: Message | undefined;
  private readonly raw: boolean;
  private readonly encode: (text: string) => Buffer;

  constructor(
    private readonly options: Readonly<BehaviourOptions>,
    encoding: string,
    private readonly frame: FrameSpec,
    /** Everyone else this session talks to, for `chat`. */
    private readonly others: () => Iterable<Link> = () => [],
    /** Says what went wrong when a rules file cannot be reloaded, and when it was. */
    onRulesFile?: (err: Error | undefined, count: number) => void,
  ) {
    const encode = (t: string) => encodeText(t, encoding);
    this.encode = encode;
    this.reply = options.reply !== undefined ? compileMessage(options.reply, { encode, name: 'reply' }) : undefined;
    this.welcomeMessage = options.welcome !== undefined ? compileMessage(options.welcome, { encode, name: 'welcome' }) : undefined;
    // a list, even empty, is a rule set that can be replaced while the session runs
    if (options.rules !== undefined || options.rulesFile !== undefined) {
      this.rules = new RuleSet(options.rules ?? [], { encode });
      if (options.rulesFile !== undefined) {
        this.rules.watchFile(options.rulesFile, (count) => onRulesFile?.(undefined, count), (err) => onRulesFile?.(err, this.rules!.size));
      }
    }
    // a rules file may gain text rules later, so a session with one always decodes
    this.fixedText = Boolean(this.reply?.readsText) || options.quit !== undefined || options.rulesFile !== undefined;
    this.fixedActive = Boolean(this.reply || options.echo || options.chat || options.quit !== undefined || options.rulesFile !== undefined);
    this.raw = frame.kind === 'raw';
  }

  /** True when answering needs each message's text (`{data}`, a quit word, a text rule). */
  get needsText(): boolean {
    return this.fixedText || Boolean(this.rules?.readsText);
  }

  /**
   * True when nothing keeps a message once it is answered: no rules (a delayed reply renders it
   * later) and no chat (other peers' unsent output holds it).
   */
  get keepsNoMessage(): boolean {
    return this.rules === undefined && !this.options.chat;
  }

  /** True when there is anything to do per message. */
  get active(): boolean {
    return this.fixedActive || (this.rules !== undefined && this.rules.size > 0);
  }

  /**
   * Replaces the rules while the session runs (all parsed first: a bad one keeps the rules in
   * force and throws); hits carry over by rule text. Only a behaviour created with `rules` has any.
   */
  setRules(rules: readonly (string | RuleSpec)[], where = 'rules'): void {
    if (!this.rules) throw new UsageError('this session was started without rules; start it with a rules list to change them');
    this.rules.replace(rules, where);
  }

  /** Greets a new peer, if a welcome is set. */
  welcome(link: Link): void {
    if (this.welcomeMessage) link.write(asBuffer(this.welcomeMessage.render({ peer: link.peer, n: 0 })));
  }

  /** Answers one message. `text` is its decoded form, given whenever {@link needsText}. */
  onMessage(link: Link, message: Buffer, n: number, text: string | undefined): void {
    const o = this.options;
    const data = text !== undefined && this.raw ? withoutNewline(text) : text;
    if (o.quit !== undefined && data === o.quit) {
      link.end(`quit word '${o.quit}'`);
      return;
    }
    let replied = false;
    const hit = this.rules?.match(message, data);
    if (hit) replied = this.act(link, hit.rule, { data, raw: message, peer: link.peer, n, captures: hit.captures });
    // the message as it goes back out: echo and an unnamed chat share one framed copy
    const framed = (bytes: Buffer) => (this.raw ? bytes : encodeFrame(this.frame, bytes, true));
    const relayed = o.echo || o.chat ? framed(message) : message;
    if (!hit && o.echo) {
      link.write(relayed);
      replied = true;
    }
    if (!hit && this.reply) {
      link.write(encodeFrame(this.frame, asBuffer(this.reply.render({ data, raw: message, peer: link.peer, n }))));
      replied = true;
    }
    if (o.chat) {
      const said = o.chatPrefix ? framed(Buffer.concat([this.encode(o.chatPrefix.replaceAll('{id}', String(link.id)).replaceAll('{peer}', link.peer)), message])) : relayed;
      for (const other of this.others()) if (other !== link) other.write(said);
    }
    if (replied && o.closeAfterReply) link.end('closed after the reply, as --close asks');
  }

  /** Does what a matched rule says; true when it replied at once. */
  private act(link: Link, rule: Rule, ctx: MessageContext): boolean {
    const why = `rule '${rule.name ?? rule.source}'`;
    const run = () => {
      if (rule.action === 'close') link.end(why);
      else if (rule.action === 'reset') link.reset(why);
      else if (rule.action === 'reply') {
        link.write(encodeFrame(this.frame, asBuffer(rule.message!.render(ctx))));
        if (rule.then === 'close') link.end(why);
        else if (rule.then === 'reset') link.reset(why);
      }
    };
    if (rule.action === 'ignore') return false;
    if (rule.delayMs > 0) {
      // a peer that half-closes still gets the delayed answer
      const release = link.hold?.();
      setTimeout(() => {
        try {
          run();
        } finally {
          release?.();
        }
      }, rule.delayMs).unref();
      return false;
    }
    run();
    return rule.action === 'reply';
  }

  /** Each rule and how often it fired. */
  ruleStats(): RuleStat[] {
    return this.rules?.stats() ?? [];
  }

  /** Stops watching a rules file. */
  close(): void {
    this.rules?.close();
  }
}
