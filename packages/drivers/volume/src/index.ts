/** @module @strata/volume — the VolumeDriver interface cinder-volume writes through, and its errors; the conformance suite is `@strata/volume/conformance`. */
export { VolumeBackendError, ImageTooBig, ImageUnacceptable, VolumeDataNotFound, isVolumeObjectId, assertVolumeObjectId, GIB } from './volume-driver.js';
export type {
  VolumeDriver,
  VolumeDriverCapabilities,
  VolumeRef,
  SnapshotRef,
  CreatedVolume,
  CreatedSnapshot,
  ImageSource,
  ImageSink,
  Connector,
  ConnectionInfo,
  ConnectionOptions,
  PoolStats,
  BackendStats,
  OperationOptions,
} from './volume-driver.js';
