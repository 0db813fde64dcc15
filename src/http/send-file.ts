// Sends file bodies: reused buffers, as much in flight as the socket drains, compression on the way, multipart ranges; nothing outlives the connection.
import fs from 'node:fs';
import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { pipeline, type Transform, type Writable } from 'node:stream';
import { AnswerGone, answerOver, attached, onAnswerOver } from './lifetime.js';
import type { ByteRange, MultipartLayout } from './range.js';

/** Bytes sent so far, for the access log. */
export interface SendProgress {
  bytes: number;
}

// an answer starts with this much per read and moves towards what its socket drains in DRAIN_MS
const MIN_CHUNK = 16 * 1024;
const DRAIN_MS = 100;

/**
 * Buffers handed out and taken back, by size. A fresh large Buffer per chunk costs page faults
 * and a munmap every time; reusing them makes streaming large files about a quarter faster. So
 * buffers come back even from answers cut short, and what is kept is bounded; beyond the bound,
 * buffers are left to the collector. Once none has been taken for `idleMs`, the pool lets them
 * all go: an idle server should shrink back to its starting size (the collector runs on idle
 * processes too, after activity stops), not sit on the most a past burst needed.
 */
export class BufferPool {
  private readonly free = new Map<number, Buffer[]>();
  private keptBytes = 0;
  private takes = 0;
  private idleCheck: NodeJS.Timeout | undefined;

  constructor(readonly maxChunkBytes: number, private readonly maxKeptBytes = 16 * 1024 * 1024, private readonly idleMs = 2000) {}

  /** A buffer of exactly `bytes`, reused when one is free. */
  take(bytes: number): Buffer {
    this.takes++;
    const buf = this.free.get(bytes)?.pop();
    if (!buf) return Buffer.allocUnsafeSlow(bytes);
    this.keptBytes -= bytes;
    return buf;
  }

  /** Returns a buffer the socket no longer reads from. */
  give(buf: Buffer): void {
    if (this.keptBytes + buf.length > this.maxKeptBytes) return;
    let list = this.free.get(buf.length);
    if (!list) this.free.set(buf.length, (list = []));
    list.push(buf);
    this.keptBytes += buf.length;
    if (!this.idleCheck) this.watchIdle(this.takes);
  }

  /** Bytes kept for reuse. */
  get kept(): number {
    return this.keptBytes;
  }

  // one timer for the pool, not one per buffer: it looks again while buffers are still being taken
  private watchIdle(takesBefore: number): void {
    this.idleCheck = setTimeout(() => {
      this.idleCheck = undefined;
      if (this.takes === takesBefore) this.clear();
      else this.watchIdle(this.takes);
    }, this.idleMs).unref();
  }

  /** Lets every kept buffer go. */
  clear(): void {
    this.free.clear();
    this.keptBytes = 0;
    clearTimeout(this.idleCheck);
    this.idleCheck = undefined;
  }
}

/**
 * How much one answer reads at a time and how many reads may be ahead of the socket. A reader
 * that takes 1 KB a second must not hold megabytes: the chunk starts at 16 KiB and follows what
 * the socket drained in about DRAIN_MS (doubling at most per write, so a fast reader reaches the
 * full chunk within a few hundred kilobytes), and a second read goes ahead only while the socket
 * takes each chunk at once.
 */
class Pacer {
  chunk: number;
  ahead = 1;

  constructor(private readonly max: number) {
    this.chunk = sizeClass(MIN_CHUNK, max);
  }

  /** A write was handed over; `took` is what it returned (false: the socket is backed up). */
  wrote(took: boolean): void {
    this.ahead = took ? 2 : 1;
  }

  /** The socket took `bytes` in `ms`. */
  drained(bytes: number, ms: number): void {
    const want = (bytes * DRAIN_MS) / Math.max(ms, 1);
    this.chunk = sizeClass(Math.min(want, this.chunk * 2), this.max);
  }
}

/** A power of two from MIN_CHUNK to `max` (or `max` itself): few sizes, so pooled buffers fit again. */
function sizeClass(bytes: number, max: number): number {
  if (bytes >= max) return max;
  if (bytes <= MIN_CHUNK) return Math.min(MIN_CHUNK, max);
  return 2 ** Math.floor(Math.log2(bytes));
}

/**
 * Writes bytes `start..end` (inclusive) of an open file to `sink` (the response, or a compressor
 * in front of it) without ending it. Settles once every write was taken, or rejects: AnswerGone
 * when the client left (the connection's end counts, not only the response's), an Error naming the
 * failure when a read fails or the file shrank. Never leaves a read pending, so the caller may
 * close `fd` once it settles.
 */
function pumpRange(fd: number, res: ServerResponse, sink: Writable, start: number, end: number, pool: BufferPool, pacer: Pacer, progress: SendProgress): Promise<void> {
  return new Promise((resolve, reject) => {
    let pos = start;
    const stop = end + 1;
    // buffers handed to the socket: once the connection has closed, it holds none of them
    const held = new Set<Buffer>();
    let inFlight = 0;
    let reading = false;
    let outcome: Error | null | undefined;
    const settle = (err: Error | null) => {
      outcome ??= err;
      if (reading) return; // settled when the read in progress returns
      cancel();
      // a compressor may still be reading what it was given; a closed socket is not
      if (outcome instanceof AnswerGone && sink === res) for (const buf of held) pool.give(buf);
      held.clear();
      if (outcome) reject(outcome);
      else resolve();
    };
    const cancel = onAnswerOver(res, () => settle(new AnswerGone()));
    const pump = () => {
      if (outcome !== undefined || reading) return;
      if (pos >= stop) {
        if (inFlight === 0) settle(null);
        return;
      }
      if (inFlight >= pacer.ahead) return;
      reading = true;
      const buf = pool.take(pacer.chunk);
      fs.read(fd, buf, 0, Math.min(buf.length, stop - pos), pos, (err, n) => {
        reading = false;
        if (outcome !== undefined || err || n === 0) {
          pool.give(buf);
          if (outcome !== undefined) settle(outcome);
          else settle(new Error(err ? `read failed: ${err.code ?? err.message}` : 'file shrank while being sent'));
          return;
        }
        pos += n;
        progress.bytes += n;
        inFlight++;
        held.add(buf);
        const sentAt = performance.now();
        const took = sink.write(n === buf.length ? buf : buf.subarray(0, n), (werr?: Error | null) => {
          inFlight--;
          // after a failed write the buffer may still be referenced until the connection closes
          if (!werr && held.delete(buf)) {
            pool.give(buf);
            pacer.drained(n, performance.now() - sentAt);
          }
          pump();
        });
        pacer.wrote(took);
        pump();
      });
    };
    pump();
  });
}

function openFile(file: string): Promise<number> {
  return new Promise((resolve, reject) => fs.open(file, 'r', (err, fd) => (err ? reject(err) : resolve(fd))));
}

/** Opens `file` once the response has its connection; rejects with AnswerGone when the client left first. */
async function openWhenAttached(res: ServerResponse, file: string): Promise<number> {
  await attached(res);
  const fd = await openFile(file);
  if (answerOver(res)) {
    fs.close(fd, () => {});
    throw new AnswerGone();
  }
  return fd;
}

/**
 * Sends bytes `range` of `file` and ends the response. Nothing happens while the response waits
 * behind an earlier pipelined answer. `start` writes the head, called only once the file is open,
 * so a file that vanished still gets a clean error status (the promise rejects with the system
 * error before any byte went out). A short read rejects after the head: the caller must cut the
 * connection rather than leave the client waiting for bytes Content-Length promised.
 */
export async function sendFile(res: ServerResponse, file: string, range: ByteRange, pool: BufferPool, progress: SendProgress, start: () => void): Promise<void> {
  const fd = await openWhenAttached(res, file);
  try {
    start();
    await pumpRange(fd, res, res, range.start, range.end, pool, new Pacer(pool.maxChunkBytes), progress);
    res.end();
  } finally {
    fs.close(fd, () => {});
  }
}

/** Sends a multipart/byteranges body part by part, from a cached body or the file, never assembled in memory. */
export async function sendParts(res: ServerResponse, from: { body?: Buffer; file: string }, layout: MultipartLayout, pool: BufferPool, progress: SendProgress, start: () => void): Promise<void> {
  const fd = from.body ? undefined : await openWhenAttached(res, from.file);
  try {
    if (from.body) await attached(res);
    start();
    const pacer = new Pacer(pool.maxChunkBytes);
    for (const part of layout.parts) {
      await writeAsync(res, part.head);
      progress.bytes += part.head.length;
      if (from.body) {
        await writeAsync(res, from.body.subarray(part.range.start, part.range.end + 1));
        progress.bytes += part.range.end - part.range.start + 1;
      } else {
        await pumpRange(fd!, res, res, part.range.start, part.range.end, pool, pacer, progress);
      }
    }
    progress.bytes += layout.tail.length;
    res.end(layout.tail);
  } finally {
    if (fd !== undefined) fs.close(fd, () => {});
  }
}

/**
 * Sends `range` of `file` through a compressor made by `makeCompressor` (length unknown: chunked),
 * read in pooled buffers with backpressure from the socket back to the disk. Like
 * {@link sendFile}: nothing while queued, `start` once the file is open, and everything let go
 * when the connection ends, whichever side ends it.
 */
export async function sendCompressed(res: ServerResponse, file: string, range: ByteRange, makeCompressor: () => Transform, pool: BufferPool, progress: SendProgress, start: () => void): Promise<void> {
  const fd = await openWhenAttached(res, file);
  // made only now: a compressor holds hundreds of kilobytes
  const compressor = makeCompressor();
  try {
    start();
    compressor.on('data', (chunk: Buffer) => (progress.bytes += chunk.length));
    const sent = new Promise<void>((resolve, reject) => {
      pipeline(compressor, res, (err) => (err ? reject(answerOver(res) ? new AnswerGone() : err) : resolve()));
    });
    // the pump ends first when it fails; the pipeline's outcome then no longer matters
    sent.catch(() => {});
    await pumpRange(fd, res, compressor, range.start, range.end, pool, new Pacer(pool.maxChunkBytes), { bytes: 0 });
    compressor.end();
    await sent;
  } catch (err) {
    compressor.destroy();
    throw err;
  } finally {
    fs.close(fd, () => {});
  }
}

/** Writes a chunk and waits for the socket to take it when its buffer is full; rejects with AnswerGone when the connection ends. */
export function writeAsync(res: ServerResponse, chunk: Buffer): Promise<void> {
  if (answerOver(res)) return Promise.reject(new AnswerGone());
  if (res.write(chunk)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const cancel = onAnswerOver(res, () => {
      res.off('drain', onDrain);
      reject(new AnswerGone());
    });
    const onDrain = () => {
      cancel();
      resolve();
    };
    res.once('drain', onDrain);
  });
}
