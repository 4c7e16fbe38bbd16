/** Reads disk image headers as the data streams by: the virtual size of qcow2 and raw images, and qcow2 safety checks. */
import { Transform, type TransformCallback } from 'node:stream';
import { BadRequest } from '@strata/errors';

/** What a qcow2 header says (https://gitlab.com/qemu-project/qemu/-/blob/master/docs/interop/qcow2.txt). */
export interface Qcow2Header {
  readonly version: number;
  readonly virtualSize: number;
  readonly hasBackingFile: boolean;
  /** Incompatible feature bit 2: guest data lives in another file. */
  readonly hasDataFile: boolean;
  /** Incompatible feature bits qemu defines beyond bit 4 (unknown to us). */
  readonly unknownFeatures: boolean;
}

/** Bytes of the header we need: qcow2's v3 header is 104 bytes; keep a sector. */
export const HEADER_BYTES = 512;
const QCOW2_MAGIC = 0x514649fb;

/** Parse a qcow2 header; undefined when `buf` does not start with one. */
export function parseQcow2Header(buf: Buffer): Qcow2Header | undefined {
  if (buf.length < 72 || buf.readUInt32BE(0) !== QCOW2_MAGIC) return undefined;
  const version = buf.readUInt32BE(4);
  if (version !== 2 && version !== 3) return undefined;
  const backingOffset = buf.readBigUInt64BE(8);
  const size = buf.readBigUInt64BE(24);
  if (size > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  let incompatible = 0n;
  if (version === 3) {
    if (buf.length < 80) return undefined;
    incompatible = buf.readBigUInt64BE(72);
  }
  return {
    version,
    virtualSize: Number(size),
    hasBackingFile: backingOffset !== 0n,
    hasDataFile: (incompatible & 0b100n) !== 0n,
    unknownFeatures: incompatible >> 5n !== 0n,
  };
}

/** 400: a qcow2 image that would make a hypervisor read other files. */
export class UnsafeDiskImage extends BadRequest {
  constructor(reason: string) {
    super(`Image is not a safe qcow2 image: ${reason}.`, { reason }, 'UnsafeDiskImage');
  }
}

/** The virtual size glance records for data of `diskFormat` whose first bytes are `header`. */
export function virtualSizeOf(diskFormat: string | null, header: Buffer, size: number): number | null {
  if (diskFormat === 'raw') return size;
  if (diskFormat === 'qcow2') return parseQcow2Header(header)?.virtualSize ?? null;
  return null;
}

/**
 * A pass-through stream that keeps the first HEADER_BYTES of the data. For a declared qcow2 image
 * it fails with UnsafeDiskImage as soon as the header shows a backing file, an external data file or
 * features it does not know, before the rest is stored.
 */
export class DiskFormatInspector extends Transform {
  readonly #diskFormat: string | null;
  readonly #head: Buffer[] = [];
  #headBytes = 0;
  #size = 0;
  #checked = false;

  constructor(diskFormat: string | null) {
    super({ highWaterMark: 1024 * 1024 });
    this.#diskFormat = diskFormat;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.#size += chunk.length;
    if (this.#headBytes < HEADER_BYTES) {
      const part = chunk.subarray(0, HEADER_BYTES - this.#headBytes);
      this.#head.push(Buffer.from(part));
      this.#headBytes += part.length;
      if (this.#headBytes >= HEADER_BYTES) {
        const problem = this.#check();
        if (problem !== undefined) return done(problem);
      }
    }
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    done(this.#check() ?? null);
  }

  #check(): Error | undefined {
    if (this.#checked) return undefined;
    this.#checked = true;
    if (this.#diskFormat !== 'qcow2') return undefined;
    const h = parseQcow2Header(this.header);
    if (h === undefined) return undefined;
    if (h.hasBackingFile) return new UnsafeDiskImage('it has a backing file');
    if (h.hasDataFile) return new UnsafeDiskImage('it has an external data file');
    if (h.unknownFeatures) return new UnsafeDiskImage('it uses unknown incompatible features');
    return undefined;
  }

  /** The first bytes seen (up to HEADER_BYTES). */
  get header(): Buffer {
    return Buffer.concat(this.#head);
  }

  /** The virtual size to record once all data passed. */
  virtualSize(): number | null {
    return virtualSizeOf(this.#diskFormat, this.header, this.#size);
  }
}
