/** @module @strata/image — glance: Image v2 with a file store. */
export { ImageService, imageDataDir } from './image-service.js';
export type { ImageServiceOptions } from './image-service.js';
export { ImageApi } from './image-api.js';
export type { ImageLimits } from './image-api.js';
export { imageSchema } from './config.js';
export { imageMigrations } from './db/migrations.js';
