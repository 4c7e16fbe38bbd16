/** A writable stream onto an open file that batches chunks into one writev and reports how much is on disk. */
import { Writable } from 'node:stream';
import type { FileHandle } from 'node:fs/promises';

/** Write all of `buffers` at the file's current position, resuming after short writes. */
async function writeAll(fh: FileHandle, buffers: Buffer[]): Promise<number> {
  let total = buffers.reduce((n, b) => n + b.length, 0);
  const size = total;
  let rest = buffers;
  while (total > 0) {
    const { bytesWritten } = await fh.writev(rest);
    total -= bytesWritten;
    if (total === 0) break;
    // A short write: drop what went out and go on with the remainder.
    let skip = bytesWritten;
    const next: Buffer[] = [];
    for (const b of rest) {
      if (skip >= b.length) skip -= b.length;
      else {
        next.push(skip > 0 ? b.subarray(skip) : b);
        skip = 0;
      }
    }
    rest = next;
  }
  return size;
}

/** Writes to `fh` (which it does not close); calls `onWritten(total)` after each batch is written. */
export class FileWriter extends Writable {
  readonly #fh: FileHandle;
  readonly #onWritten: ((total: number) => void) | undefined;
  #total = 0;

  constructor(fh: FileHandle, onWritten?: (total: number) => void) {
    // 4 MiB of buffering lets socket-sized chunks pile up into one writev while a write is under way.
    super({ highWaterMark: 4 * 1024 * 1024 });
    this.#fh = fh;
    this.#onWritten = onWritten;
  }

  /** Bytes written so far. */
  get total(): number {
    return this.#total;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.#flush([chunk], done);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, done: (err?: Error | null) => void): void {
    this.#flush(chunks.map((c) => c.chunk), done);
  }

  #flush(buffers: Buffer[], done: (err?: Error | null) => void): void {
    writeAll(this.#fh, buffers).then(
      (n) => {
        this.#total += n;
        this.#onWritten?.(this.#total);
        done();
      },
      (err: Error) => done(err),
    );
  }
}
