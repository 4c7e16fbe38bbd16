/** @module @strata/image-store — the ImageStore interface glance writes image data through (glance_store's contract). */
export { ImageSizeLimitExceeded, ImageDataNotFound, InvalidImageLocation, isImageId } from './image-store.js';
export type { ImageStore, ImageStoreCapabilities, AddOptions, StoredImageData, GetOptions, ImageDataStream } from './image-store.js';
