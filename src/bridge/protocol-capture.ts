// The capture's part of the page protocol: starting and stopping a session's capture, and what the page is told of it.

/** A session's capture as the page shows it; the file is downloaded from the UI server (`/capture/<session>.ndjson` or `.pcap`, with the token). */
export interface WireCapture {
  state: 'running' | 'stopped';
  /** When it began (ms since the epoch). */
  startedAt: number;
  /** Records written, and the payload bytes in them (known once stopped). */
  records: number;
  bytes: number;
  /** Data records dropped because the disk fell behind. */
  droppedRecords: number;
}

/** Start capturing a session (a running capture of it is replaced). */
export interface PageCaptureStart {
  type: 'capture-start';
  req: number;
  session: string;
}

/** Stop a session's capture; its file stays to be downloaded until the session is removed. */
export interface PageCaptureStop {
  type: 'capture-stop';
  req: number;
  session: string;
}

/** The forms a capture is downloaded in. */
export type CaptureDownload = 'ndjson' | 'pcap';

/** Where the page downloads a session's capture (relative to the page, with its token). */
export function captureHref(session: string, form: CaptureDownload, token: string): string {
  return `/capture/${encodeURIComponent(session)}.${form}?token=${encodeURIComponent(token)}`;
}
