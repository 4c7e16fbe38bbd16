/** The contract every image store follows (glance_store's Store): add, get and delete image data, plus capability flags. */
import type { Readable } from 'node:stream';
import { BadRequest, NotFound, OverLimit } from '@strata/errors';

/** What a store can do; callers check these instead of catching "not supported" at run time. */
export interface ImageStoreCapabilities {
  /** get() with an offset reads from there without reading what precedes it (HTTP Range). */
  readonly rangeRead: boolean;
  /** add() and delete() work (a read-only store has this false). */
  readonly write: boolean;
}

/** Options of ImageStore.add. */
export interface AddOptions {
  /**
   * Largest number of bytes accepted. Reading beyond it fails the add with
   * ImageSizeLimitExceeded, and the store keeps nothing. @default no limit
   */
  readonly maxSize?: number;
  /** Aborts the add; the store keeps nothing. */
  readonly signal?: AbortSignal;
}

/** What add() stored. Hashes are lowercase hex, as glance records them. */
export interface StoredImageData {
  /** Where the data is, as the store understands it (`file:///…/images/<id>`); saved with the image. */
  readonly location: string;
  readonly size: number;
  /** MD5 of the data (glance's legacy `checksum`). */
  readonly checksum: string;
  /** The multihash algorithm (`os_hash_algo`). */
  readonly hashAlgo: 'sha512';
  /** The multihash (`os_hash_value`). */
  readonly hashValue: string;
}

/** Options of ImageStore.get. */
export interface GetOptions {
  /** First byte to read. @default 0 */
  readonly offset?: number;
  /** Bytes to read from offset. @default to the end */
  readonly length?: number;
}

/** Image data being read. */
export interface ImageDataStream {
  /** The bytes asked for; the caller must consume or destroy it. */
  readonly stream: Readable;
  /** The size of the whole image (not of the range). */
  readonly size: number;
}

/**
 * An image store. Implementations name their objects from image ids only, never from user
 * input, and write atomically: data is visible at its location only once add() resolved.
 */
export interface ImageStore {
  /** The store id shown in `GET /v2/info/stores` (e.g. `file`). */
  readonly id: string;
  readonly capabilities: ImageStoreCapabilities;
  /**
   * Read `data` to its end into the store under `imageId`, computing size, MD5 and SHA-512 on the way.
   * Never holds the whole image in memory. Throws ImageSizeLimitExceeded past `maxSize`; on any
   * failure (also a failing or aborted `data` stream) nothing is left behind.
   * Precondition: `imageId` is a UUID; an existing object for it is replaced.
   */
  add(imageId: string, data: Readable, options?: AddOptions): Promise<StoredImageData>;
  /** A stream of the data at `location`. Throws ImageDataNotFound when there is none. */
  get(location: string, options?: GetOptions): Promise<ImageDataStream>;
  /** Remove the data at `location`. Resolves also when it is already gone. */
  delete(location: string): Promise<void>;
  /** Release what the store holds (worker threads, handles). Idempotent. */
  close(): Promise<void>;
}

/** 413: the data is larger than allowed (image_size_cap or the storage quota left). */
export class ImageSizeLimitExceeded extends OverLimit {
  constructor(limit: number) {
    super(`Image exceeds the storage quota or size limit of ${limit} bytes.`, { limit }, 'ImageSizeLimitExceeded');
  }
}

/** 404: the store has no data at a location. */
export class ImageDataNotFound extends NotFound {
  constructor(location: string) {
    super('Image data could not be found in the store.', { location }, 'ImageDataNotFound');
  }
}

/** 400: a location this store does not own, or an object name that is not an image id. */
export class InvalidImageLocation extends BadRequest {
  constructor(location: string) {
    super('Invalid image location.', { location }, 'InvalidImageLocation');
  }
}

const IMAGE_ID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** True when `id` is a UUID, the only shape a store turns into an object name. */
export function isImageId(id: string): boolean {
  return IMAGE_ID.test(id);
}
