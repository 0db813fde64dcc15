// Received bytes saved as they arrive, for any session: what every peer sent, exactly, in one file (or stream).
import { closeSync, createWriteStream, openSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { SockitError, UsageError } from '../errors.js';
import type { EventInput } from './events.js';
import type { Session } from './session.js';

/** How received bytes are saved. */
export interface SaveReceivedOptions {
  /** Replace a file that exists (default: refuse it, so a mistyped path destroys nothing). */
  overwrite?: boolean;
  /** Add to the end of a file that exists (a session started again keeps what it saved before). */
  append?: boolean;
}

/** A file received bytes are being saved to. */
export interface ReceivedFile {
  /** The absolute path written (`-` for a stream given instead of a path). */
  readonly path: string;
  /** Bytes saved so far (handed to the file). */
  readonly bytes: number;
  /** Why writing failed, once it has. */
  readonly error: SockitError | undefined;
  /** Stops saving: resolves once everything is written (a file is closed; a stream is left open). */
  finish(): Promise<void>;
}

/** Why a path cannot be opened, in words. */
export function pathProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or folder';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a folder';
  if (code === 'ENOTDIR') return 'a part of the path is not a folder';
  if (code === 'EEXIST') return 'it exists already (choose to overwrite it, or another name)';
  return (err as Error).message;
}

/** Opens a file to write, refusing one that exists unless told to replace it or add to it; a usage error naming `flag` when it cannot. */
export function openForWriting(path: string, flag: string, overwrite: boolean, append = false): number {
  try {
    return openSync(path, append ? 'a' : overwrite ? 'w' : 'wx');
  } catch (err) {
    throw new UsageError(`${flag}: cannot write '${path}': ${pathProblem(err)}`, { field: flag });
  }
}

/** The session core's {@link Session.saveReceived}: a wire tap that writes what comes in. */
export function saveReceived(session: Session, to: string | NodeJS.WritableStream, options: SaveReceivedOptions, emit: (e: EventInput) => void): ReceivedFile {
  const path = typeof to === 'string' ? resolvePath(to) : '-';
  const stream: NodeJS.WritableStream = typeof to === 'string' ? createWriteStream(path, { fd: openForWriting(path, 'saveTo', options.overwrite === true, options.append === true) }) : to;
  const blocker = {};
  let bytes = 0;
  let error: SockitError | undefined;
  let finished: Promise<void> | undefined;
  const fail = (err: Error) => {
    if (error) return;
    error = new SockitError('SOCKIT_ERR_FILE', `could not save received bytes to '${path}': ${err.message}`, { cause: err });
    emit({ event: 'error', code: error.code, message: error.message });
    session.setWireBlocked(false, blocker);
  };
  const onDrain = () => session.setWireBlocked(false, blocker);
  stream.on('error', fail);
  stream.on('drain', onDrain);
  const untap = session.tapWire((dir, _id, _peer, chunk) => {
    if (dir !== 'in' || error) return;
    bytes += chunk.length;
    // the disk behind the network: stream connections stop reading until it catches up
    if (!stream.write(chunk)) session.setWireBlocked(true, blocker);
  });
  const finish = (): Promise<void> =>
    (finished ??= new Promise<void>((resolve) => {
      untap();
      session.setWireBlocked(false, blocker);
      stream.off('drain', onDrain);
      if (typeof to === 'string') stream.end(() => resolve());
      else stream.write('', () => resolve());
    }).then(() => {
      if (error) throw error;
    }));
  void session.closed.then(() => finish().catch(() => {}));
  return {
    path,
    get bytes() {
      return bytes;
    },
    get error() {
      return error;
    },
    finish,
  };
}

/** Creates or empties `path` now (a usage error naming `flag` when it cannot), so a command fails before it listens. */
export function checkWritable(path: string, flag: string): void {
  closeSync(openForWriting(path, flag, true));
}
