/** A pass-through stream that counts, size-limits and (optionally) hashes image data (MD5 + SHA-512) as it flows to the store. */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { ImageSizeLimitExceeded } from '@strata/image-store';

/** Size and digests of everything that passed. */
export interface ImageDigest {
  readonly size: number;
  readonly md5: string;
  readonly sha512: string;
}

/**
 * Passes chunks through unchanged, counting them and, unless `hash` is false, hashing them on this
 * thread. Fails with ImageSizeLimitExceeded as soon as more than `maxSize` bytes arrived, before
 * the excess is passed on.
 */
export class ImageHasher extends Transform {
  readonly #maxSize: number;
  readonly #md5: Hash | undefined;
  readonly #sha512: Hash | undefined;
  #size = 0;

  constructor(options: { maxSize?: number; hash?: boolean } = {}) {
    super({ highWaterMark: 1024 * 1024 });
    this.#maxSize = options.maxSize ?? Number.POSITIVE_INFINITY;
    if (options.hash !== false) {
      this.#md5 = createHash('md5');
      this.#sha512 = createHash('sha512');
    }
  }

  /** Bytes passed so far. */
  get size(): number {
    return this.#size;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.#size += chunk.length;
    if (this.#size > this.#maxSize) {
      done(new ImageSizeLimitExceeded(this.#maxSize));
      return;
    }
    this.#md5?.update(chunk);
    this.#sha512?.update(chunk);
    done(null, chunk);
  }

  /** The digests (empty strings when not hashing); call once, after the stream finished. */
  digest(): ImageDigest {
    return { size: this.#size, md5: this.#md5?.digest('hex') ?? '', sha512: this.#sha512?.digest('hex') ?? '' };
  }
}
