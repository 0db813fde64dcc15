// Reads a capture file back, record by record: plain or gzip (told by its first bytes), checked line by line.
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { SockitError } from '../errors.js';
import { recordProblem, type CaptureHeader, type CaptureRecord } from './capture-format.js';

/** A capture read whole into memory. */
export interface Capture {
  header: CaptureHeader;
  records: CaptureRecord[];
  /** True when the file ended mid-record (a capture cut off rather than closed). */
  truncated: boolean;
}

function fileError(path: string, what: string, cause?: unknown): SockitError {
  return new SockitError('SOCKIT_ERR_FILE', `${path}: ${what}`, { cause, exitCode: 2 });
}

function openStream(path: string): Readable {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (err) {
    throw fileError(path, `cannot read it: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, err);
  }
  const magic = Buffer.alloc(2);
  const n = fs.readSync(fd, magic, 0, 2, 0);
  const file = fs.createReadStream(path, { fd, start: 0 });
  // gzip announces itself with 1f 8b, whatever the file is called
  return n === 2 && magic[0] === 0x1f && magic[1] === 0x8b ? file.pipe(zlib.createGunzip()) : file;
}

/**
 * Reads a capture's records one at a time, so a large capture takes little memory. The header is
 * checked first; a bad line is an error naming its number. `onTruncated` hears when the file
 * ends mid-record (what came before is still read).
 */
export async function* readCaptureRecords(path: string, onHeader?: (h: CaptureHeader) => void, onTruncated?: () => void): AsyncGenerator<CaptureRecord> {
  const stream = openStream(path);
  let rest = '';
  let lineNo = 0;
  let header: CaptureHeader | undefined;
  const parse = (line: string): CaptureRecord | undefined => {
    lineNo++;
    if (line.trim() === '') return undefined;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw fileError(path, `line ${lineNo} is not JSON; is this a sockit capture?`);
    }
    if (!header) {
      const h = value as Partial<CaptureHeader>;
      if (h?.capture !== 'sockit') throw fileError(path, 'not a sockit capture (its first line should be {"capture":"sockit",...})');
      if (h.version !== 1) throw fileError(path, `a capture of version ${String(h.version)}; this sockit reads version 1`);
      header = h as CaptureHeader;
      onHeader?.(header);
      return undefined;
    }
    const problem = recordProblem(value);
    if (problem) throw fileError(path, `line ${lineNo}: ${problem}`);
    return value as CaptureRecord;
  };
  stream.setEncoding('utf8');
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      rest += chunk;
      let start = 0;
      let nl: number;
      while ((nl = rest.indexOf('\n', start)) >= 0) {
        const r = parse(rest.slice(start, nl));
        start = nl + 1;
        if (r) yield r;
      }
      rest = rest.slice(start);
    }
  } catch (err) {
    if (err instanceof SockitError) throw err;
    // a gzip stream cut short: what came before stands
    if ((err as NodeJS.ErrnoException).code === 'Z_BUF_ERROR' || /unexpected end/i.test((err as Error).message)) {
      onTruncated?.();
      return;
    }
    throw fileError(path, `cannot read it: ${(err as Error).message}`, err);
  } finally {
    stream.destroy();
  }
  if (rest.trim() !== '') {
    // a last line without its newline: complete JSON counts, a fragment means the capture was cut off
    let r: CaptureRecord | undefined;
    try {
      r = parse(rest);
    } catch {
      onTruncated?.();
    }
    if (r) yield r;
  }
  if (!header) throw fileError(path, 'empty: not a sockit capture');
}

/** Reads a whole capture into memory. */
export async function readCapture(path: string): Promise<Capture> {
  let header: CaptureHeader | undefined;
  let truncated = false;
  const records: CaptureRecord[] = [];
  for await (const r of readCaptureRecords(path, (h) => (header = h), () => (truncated = true))) records.push(r);
  return { header: header!, records, truncated };
}
