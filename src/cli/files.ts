// The files a command reads (`--file`) and writes (`--out`, `--log`): opened before anything connects, so a bad path is a usage error.
import { closeSync, createWriteStream, fstatSync, openSync, type WriteStream } from 'node:fs';
import { SockitError, UsageError } from '../errors.js';

/** A file to send, checked readable and not a folder; its size is known for the progress bar. */
export interface InputFile {
  path: string;
  size: number;
}

/** Why a path cannot be opened, in words. */
function why(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or folder';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a folder';
  if (code === 'ENOTDIR') return 'a part of the path is not a folder';
  return (err as Error).message;
}

/** Checks that `path` can be read and is not a folder (flag: the option that named it). */
export function checkInputFile(path: string, flag: string): InputFile {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new UsageError(`${flag}: cannot read '${path}': ${why(err)}`);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new UsageError(`${flag}: '${path}' is a folder; give a file`);
    return { path, size: stat.size };
  } finally {
    closeSync(fd);
  }
}

/** Where received bytes are saved: a file, or stdout for `-`. */
export interface OutputFile {
  /** The path as given (`-` for stdout). */
  readonly path: string;
  /** Writes bytes exactly as given. */
  write(bytes: Buffer): void;
  /** Resolves once everything written is on disk (or handed to stdout). */
  end(): Promise<void>;
}

/**
 * Opens (creating or truncating) the file `--out` names, before anything connects; `-` is stdout.
 * A path that cannot be written is a usage error naming the flag.
 */
export function openOutputFile(path: string, flag: string): OutputFile {
  if (path === '-') {
    return {
      path,
      write: (bytes) => void process.stdout.write(bytes),
      end: () => new Promise((resolve) => process.stdout.write('', () => resolve())),
    };
  }
  let fd: number;
  try {
    fd = openSync(path, 'w');
  } catch (err) {
    throw new UsageError(`${flag}: cannot write '${path}': ${why(err)}`);
  }
  const stream: WriteStream = createWriteStream(path, { fd });
  let failure: Error | undefined;
  // a disk that fills up is told when the command ends, not thrown from a listener
  stream.on('error', (err) => (failure ??= err));
  const failed = () => new SockitError('SOCKIT_ERR_FILE', `${flag}: could not write '${path}': ${failure!.message}`, { cause: failure });
  return {
    path,
    write: (bytes) => void (failure || stream.write(bytes)),
    end: () =>
      new Promise((resolve, reject) => {
        if (failure) return reject(failed());
        stream.end(() => (failure ? reject(failed()) : resolve()));
      }),
  };
}
