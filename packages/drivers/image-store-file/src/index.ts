/** @module @strata/image-store-file — the file image store (glance_store's filesystem driver). */
export { FileImageStore } from './file-image-store.js';
export type { FileImageStoreOptions } from './file-image-store.js';
export { ImageHasher } from './image-hasher.js';
export type { ImageDigest } from './image-hasher.js';
export { FileHashWorker } from './hash-worker-pool.js';
export type { FileHashSession } from './hash-worker-pool.js';
