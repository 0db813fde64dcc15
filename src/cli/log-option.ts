// `--log <file>` for every command that runs a stream or datagram session: declared once, opened before the session starts, closed after it ends.
import { createWriteStream } from 'node:fs';
import type { Command } from 'commander';
import type { Session } from '../net/session.js';
import { describeFrame, type FrameSpec } from '../wire/framing.js';
import { createEventRenderer, LineWriter } from './output.js';
import { checkOutputFile } from './files.js';
import { FILE_SHOW_BYTES } from './message-view.js';

/** `--log <file>`: the full log besides what the terminal shows. */
export function addLogOption(cmd: Command): Command {
  return cmd.option('--log <file>', 'also write the full log to this file: every event, every message whole, no colours');
}

/** A log file being written. */
export interface LogFile {
  /** Flushes and closes the file. */
  close(): Promise<void>;
}

/** How the log shows messages: as the terminal would, but whole. */
export interface LogView {
  hex: boolean;
  encoding: string;
  frame?: FrameSpec;
  /** What the terminal shows of each message (`--show`): the log shows at least a file's share. */
  showBytes: number;
}

/**
 * Opens `--log` (a usage error when it cannot be written) and logs every event of `session` to
 * it; call before the session listens or connects. The session then builds message events even
 * when the terminal is quiet.
 */
export function startLog(session: Session, path: string | undefined, view: LogView): LogFile | undefined {
  if (path === undefined) return undefined;
  // checked (and created) the way --out is, then written through a stream of its own
  checkOutputFile(path, '--log');
  const stream = createWriteStream(path, { flags: 'a' });
  stream.on('error', () => {});
  const writer = new LineWriter(stream);
  const frame = view.frame === undefined || view.frame.kind === 'raw' ? undefined : describeFrame(view.frame);
  session.on('event', createEventRenderer(writer, { json: false, color: false, hex: view.hex, encoding: view.encoding, frame, showBytes: Math.max(view.showBytes, FILE_SHOW_BYTES) }));
  session.messageEvents = true;
  return {
    close: () =>
      new Promise((resolve) => {
        writer.flush();
        stream.end(() => resolve());
      }),
  };
}
