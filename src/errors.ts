// Errors with stable codes, so the CLI, the bridge and scripts can act on them without parsing messages.

/** Stable error codes; the CLI maps them to exit codes. */
export type ErrorCode =
  | 'SOCKIT_ERR_USAGE'
  | 'SOCKIT_ERR_ADDR_IN_USE'
  | 'SOCKIT_ERR_ACCESS'
  | 'SOCKIT_ERR_ADDR_NOT_AVAILABLE'
  | 'SOCKIT_ERR_REFUSED'
  | 'SOCKIT_ERR_HOST_NOT_FOUND'
  | 'SOCKIT_ERR_TIMEOUT'
  | 'SOCKIT_ERR_UNREACHABLE'
  | 'SOCKIT_ERR_RESET'
  | 'SOCKIT_ERR_FRAME_TOO_LARGE'
  | 'SOCKIT_ERR_DATAGRAM_TOO_LARGE'
  | 'SOCKIT_ERR_SLOW_READER'
  | 'SOCKIT_ERR_FILE'
  | 'SOCKIT_ERR_RULES'
  | 'SOCKIT_ERR_TLS'
  | 'SOCKIT_ERR_HANDSHAKE'
  | 'SOCKIT_ERR_WS_PROTOCOL'
  | 'SOCKIT_ERR_PROXY'
  | 'SOCKIT_ERR_NETWORK'
  | 'SOCKIT_ERR_MASTER_LOST'
  | 'SOCKIT_ERR_UNAVAILABLE'
  | 'SOCKIT_ERR_WORKSPACE'
  | 'SOCKIT_ERR_WORKSPACE_CHANGED';

/** Base class of every error sockit raises on purpose. `cause` keeps the system error. */
export class SockitError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown; exitCode?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SockitError';
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 1;
  }
}

/** What a {@link UsageError} may carry besides its message. */
export interface UsageErrorOptions {
  hint?: string;
  /**
   * The option the error is about, by its library name (`connections`, `sizeBytes`); the message
   * then starts with that name, so a face can tell it with its own (the CLI's `--size`).
   */
  field?: string;
}

/** A bad argument or option value: exit code 2. */
export class UsageError extends SockitError {
  /** The library option the error is about, when it is about one; the message starts with it. */
  readonly field: string | undefined;

  constructor(message: string, options: string | UsageErrorOptions = {}) {
    const o = typeof options === 'string' ? { hint: options } : options;
    super('SOCKIT_ERR_USAGE', message, { hint: o.hint, exitCode: 2 });
    this.name = 'UsageError';
    this.field = o.field !== undefined && message.startsWith(o.field) ? o.field : undefined;
  }

  /** The same error with its field called `name` (as a face spells the option), in the message too. */
  renamed(name: string): UsageError {
    if (this.field === undefined) return this;
    const err = new UsageError(name + this.message.slice(this.field.length), { hint: this.hint, field: name });
    err.stack = this.stack;
    return err;
  }
}

/** A UsageError about one option, named by its field: `fieldError('count', 'must be …')` reads "count must be …". */
export function fieldError(field: string, problem: string, hint?: string): UsageError {
  return new UsageError(`${field}${problem.startsWith(':') ? '' : ' '}${problem}`, { hint, field });
}

/** Could not bind a listening socket: exit code 3. */
export class BindError extends SockitError {
  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(code, message, { ...options, exitCode: 3 });
    this.name = 'BindError';
  }
}

/** Could not reach a peer: exit code 4. */
export class ConnectError extends SockitError {
  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(code, message, { ...options, exitCode: 4 });
    this.name = 'ConnectError';
  }
}

/** A message over the frame limit: a length prefix announced more, or a delimited message grew past it. */
export class FrameTooLargeError extends SockitError {
  constructor(size: number, limit: number, announced = true) {
    const message = announced
      ? `a frame of ${size} bytes was announced, more than the limit of ${limit} bytes`
      : `a message went past the limit of ${limit} bytes without its delimiter`;
    super('SOCKIT_ERR_FRAME_TOO_LARGE', message, {
      hint: 'raise --max-frame if such frames are expected',
    });
    this.name = 'FrameTooLargeError';
  }
}

/** A UDP payload larger than one datagram can carry, refused before sending: exit code 2. */
export class DatagramTooLargeError extends SockitError {
  constructor(size: number, limit: number, family: 'IPv4' | 'IPv6') {
    super('SOCKIT_ERR_DATAGRAM_TOO_LARGE', `a UDP datagram over ${family} can carry at most ${limit} bytes; this one has ${size}, so it was not sent`, {
      hint: 'send less at once; `udp send --file` splits a file into datagrams of --size bytes',
      exitCode: 2,
    });
    this.name = 'DatagramTooLargeError';
  }
}

/** True when a bind failed because this machine has no IPv6 (then IPv4 alone will do). */
export function isNoIpv6(err: unknown): boolean {
  const code = (err as { code?: string } | undefined)?.code;
  return code === 'EAFNOSUPPORT' || code === 'EADDRNOTAVAIL';
}
