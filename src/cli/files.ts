// The files a command reads (`--file`) and writes (`--out`, `--log`): checked before anything connects, so a bad path is a usage error.
import { closeSync, fstatSync, openSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { checkWritable, pathProblem } from '../net/received-file.js';

/** `--file <path>`, its help said by each command. */
export const FILE_OPTION = ['--file <path>'] as const;

/** `--out <path>`, its help said by each command. */
export const OUT_OPTION = ['--out <path>'] as const;

/** A file to send, checked readable and not a folder; its size is known for the progress bar. */
export interface InputFile {
  path: string;
  size: number;
}

/** Checks that `path` can be read and is not a folder (flag: the option that named it). */
export function checkInputFile(path: string, flag: string): InputFile {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new UsageError(`${flag}: cannot read '${path}': ${pathProblem(err)}`);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new UsageError(`${flag}: '${path}' is a folder; give a file`);
    return { path, size: stat.size };
  } finally {
    closeSync(fd);
  }
}

/**
 * Checks (creating or emptying, as a shell's `>` does) the file `--out` names, before anything
 * connects; `-` is stdout. A path that cannot be written is a usage error naming the flag.
 */
export function checkOutputFile(path: string | undefined, flag: string): string | undefined {
  if (path !== undefined && path !== '-') checkWritable(path, flag);
  return path;
}
