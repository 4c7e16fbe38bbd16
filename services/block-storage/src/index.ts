/** @module @strata/block-storage — cinder: Block Storage v3 API, scheduler and volume service. */
export { BlockStorageService, openBlockStorageDatabase } from './block-storage-service.js';
export type { BlockStorageServiceOptions } from './block-storage-service.js';
export { SchedulerService } from './scheduler/scheduler-service.js';
export type { SchedulerServiceOptions } from './scheduler/scheduler-service.js';
export { VolumeService } from './volume/volume-service.js';
export type { VolumeServiceOptions, VolumeBackend } from './volume/volume-service.js';
export { blockStorageSchema, parseBackends } from './config.js';
export type { BackendSpec } from './config.js';
export { blockStorageMigrations } from './db/migrations.js';
export type { BlockStorageApiConfig } from './api-support.js';
export type { QuotaDefaults } from './objects/quota.js';
export { MIN_VERSION, MAX_VERSION } from './api/microversion.js';
export { startBlockStorageNode, createBackends, quotaDefaultsOf } from './block-storage-node.js';
export type { BlockStorageNode, BlockStorageNodeOptions, BlockStorageSettings } from './block-storage-node.js';
