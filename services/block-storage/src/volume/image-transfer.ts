/**
 * Image data between cinder-volume and glance, as the user, through @strata/clients' ImageClient:
 * a download streamed into a driver and verified against glance's multihash (or MD5) on the way,
 * and a driver's output streamed into an upload.
 */
import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { ImageChecksumMismatch, ImageClient } from '@strata/clients';
import { OpenStackError } from '@strata/errors';
import type { ImageSink, ImageSource } from '@strata/volume';
import type { ImageRequest } from '../scheduler/scheduler-rpc.js';
import type { ImageUpload } from './volume-rpc.js';

/** Passes bytes through and fails the stream at its end when their digest is not `expected`. */
class Verifying extends Transform {
  readonly #hash;
  readonly #expected: string;
  readonly #algo: string;
  readonly #imageId: string;
  constructor(imageId: string, algo: string, expected: string) {
    super({ highWaterMark: 4 * 1024 * 1024 });
    this.#hash = createHash(algo);
    this.#expected = expected;
    this.#algo = algo;
    this.#imageId = imageId;
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.#hash.update(chunk);
    done(null, chunk);
  }
  override _flush(done: TransformCallback): void {
    const digest = this.#hash.digest('hex');
    done(digest === this.#expected ? null : new ImageChecksumMismatch(this.#imageId, this.#algo, this.#expected, digest));
  }
}

/** The image's data as a driver's ImageSource; opening it starts the (verified) download. */
export function glanceImageSource(image: ImageRequest, globalRequestId: string | undefined): ImageSource {
  const client = new ImageClient(image.endpoint);
  const opts = globalRequestId !== undefined ? { globalRequestId } : {};
  return {
    id: image.id,
    diskFormat: image.diskFormat,
    open: async (): Promise<Readable> => {
      const record = await client.getImage(image.authToken, image.id, opts);
      const algo = record.os_hash_algo !== null && record.os_hash_value !== null ? record.os_hash_algo : 'md5';
      const expected = algo === 'md5' ? record.checksum : record.os_hash_value;
      if (expected === null) throw new OpenStackError(400, 'ImageUnacceptable', `Image ${image.id} has no data (status ${record.status}).`, { imageId: image.id });
      const download = await client.openDownload(image.authToken, image.id, opts);
      const verifying = new Verifying(image.id, algo, expected);
      download.stream.once('error', (err) => verifying.destroy(err));
      return download.stream.pipe(verifying);
    },
  };
}

/** A driver's ImageSink that uploads to glance. */
export function glanceImageSink(image: ImageUpload, globalRequestId: string | undefined): ImageSink {
  const client = new ImageClient(image.endpoint);
  return {
    diskFormat: image.diskFormat,
    write: (data: Readable) => client.uploadData(image.authToken, image.id, data, globalRequestId !== undefined ? { globalRequestId } : {}),
  };
}
