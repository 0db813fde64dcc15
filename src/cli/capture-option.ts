// `--capture <file>` for every command that runs a session: declared once, opened before the session starts, finished after it ends.
import type { Command } from 'commander';
import { CaptureWriter } from '../capture/capture-writer.js';
import type { Session } from '../net/session.js';
import { formatBytes } from './output.js';

/** `--capture <file>`, on every command that runs a session. */
export function addCaptureOption(cmd: Command, what = 'every connection, byte and close'): Command {
  return cmd.option('--capture <file>', `write ${what} to this file (NDJSON, gzip when it ends in .gz), for sockit export and replay`);
}

/** A capture a command runs beside its session. */
export interface CliCapture {
  /** Writes what waits and closes the file, then says on stderr what was captured (and dropped). */
  finish(): Promise<void>;
}

/** Starts capturing `session` into `path` when one was given: call it before the session listens or connects. */
export function startCapture(session: Session, path: string | undefined): CliCapture | undefined {
  if (path === undefined) return undefined;
  const writer = CaptureWriter.open(path, { onError: (err) => process.stderr.write(`error: ${err.message} [${err.code}]\n`) });
  writer.attach(session);
  return {
    async finish() {
      const s = await writer.close();
      const dropped = s.droppedRecords ? `; ${s.droppedRecords} records (${formatBytes(s.droppedBytes)}) dropped because the disk fell behind` : '';
      process.stderr.write(`captured ${s.records} records, ${formatBytes(s.bytes)} of data, to ${s.path}${dropped}\n`);
    },
  };
}
