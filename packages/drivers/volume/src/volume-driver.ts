/** The contract every cinder-volume backend follows (cinder's VolumeDriver): plain data in, plain data out, no DB. */
import type { Readable } from 'node:stream';
import { OpenStackError } from '@strata/errors';

/** What a backend can do; the volume manager checks these instead of catching "not supported" at run time. */
export interface VolumeDriverCapabilities {
  /** Volumes take space only as data is written (qcow2, sparse files). */
  readonly thinProvisioning: boolean;
  /** `revertToSnapshot` works (API 3.40). */
  readonly revertToSnapshot: boolean;
  /** `extendVolume` works while the volume is attached (API 3.42). */
  readonly extendAttached: boolean;
  /** `initializeConnection` can serve a compute host other than this storage host (NBD). */
  readonly remoteAttach: boolean;
}

/** A volume as the driver sees it. */
export interface VolumeRef {
  readonly id: string;
  /** Size in GiB. */
  readonly size: number;
  /** What the driver returned from a create (`provider_location`); null before it exists. */
  readonly location: string | null;
}

/** A snapshot as the driver sees it. */
export interface SnapshotRef {
  readonly id: string;
  readonly volumeId: string;
  /** Size in GiB of the volume when the snapshot was taken. */
  readonly volumeSize: number;
  /** What the driver returned from `createSnapshot`; null before it exists. */
  readonly location: string | null;
}

/** What a create returns: where the data lives, saved as the volume's `provider_location`. */
export interface CreatedVolume {
  readonly location: string;
}

/** What `createSnapshot` returns. */
export interface CreatedSnapshot {
  readonly location: string;
}

/** Image data to write into a new volume (glance's image), handed over without the driver knowing glance. */
export interface ImageSource {
  readonly id: string;
  /** Glance's `disk_format` (raw, qcow2, vmdk, vdi, vhd, vhdx, iso, ...). */
  readonly diskFormat: string;
  /** Opens the image data; called once. */
  open(): Promise<Readable>;
}

/** Where a volume's data goes when it is uploaded as an image. */
export interface ImageSink {
  /** `raw` or `qcow2`. */
  readonly diskFormat: string;
  /** Consumes the whole stream; rejects when the upload fails. */
  write(data: Readable): Promise<void>;
}

/** os-brick's connector: who wants to attach, from where. */
export interface Connector {
  readonly host?: string;
  readonly ip?: string;
  readonly initiator?: string;
  readonly multipath?: boolean;
  readonly platform?: string;
  readonly os_type?: string;
  readonly [key: string]: unknown;
}

/** How an attachment may use the volume. */
export interface ConnectionOptions {
  /** Export read-only (the volume's `readonly` flag). @default false */
  readonly readOnly?: boolean;
}

/** Connection info as cinder hands it to nova (`driver_volume_type` + `data`). */
export interface ConnectionInfo {
  readonly driver_volume_type: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/** One pool's capacity and capabilities, reported by heartbeat and used by the scheduler. */
export interface PoolStats {
  readonly poolName: string;
  /** GiB; `Infinity` is not allowed, report a number. */
  readonly totalCapacityGb: number;
  readonly freeCapacityGb: number;
  readonly reservedPercentage: number;
  readonly maxOverSubscriptionRatio: number;
  readonly thinProvisioningSupport: boolean;
  readonly thickProvisioningSupport: boolean;
  readonly multiattach: boolean;
  /** Further capabilities matched against volume type extra specs. */
  readonly extra: Readonly<Record<string, string | number | boolean>>;
}

/** What `getStats` reports (cinder's `_update_volume_stats`). */
export interface BackendStats {
  readonly vendorName: string;
  readonly driverVersion: string;
  readonly storageProtocol: string;
  readonly pools: readonly PoolStats[];
}

/** Options shared by the driver operations. */
export interface OperationOptions {
  readonly signal?: AbortSignal;
}

/**
 * A volume backend. Implementations name what they create from the ids they are given only,
 * check them, and clean up after a failed operation: a create that throws leaves nothing behind.
 * Every operation is idempotent where cinder retries it (delete of a missing volume succeeds).
 */
export interface VolumeDriver {
  /** The driver kind (`file`, `fake`). */
  readonly kind: string;
  readonly capabilities: VolumeDriverCapabilities;
  /** Capacity and capabilities now; cheap enough to call on every heartbeat. */
  getStats(): Promise<BackendStats>;
  /** A new, empty volume of `volume.size` GiB. */
  createVolume(volume: VolumeRef, options?: OperationOptions): Promise<CreatedVolume>;
  /** A new volume holding the snapshot's data, `volume.size` ≥ the snapshot's size. */
  createVolumeFromSnapshot(volume: VolumeRef, snapshot: SnapshotRef, options?: OperationOptions): Promise<CreatedVolume>;
  /** A new volume holding a copy of `source`, `volume.size` ≥ `source.size`. */
  createClonedVolume(volume: VolumeRef, source: VolumeRef, options?: OperationOptions): Promise<CreatedVolume>;
  /**
   * A new volume holding the image's data converted to the backend's format. Throws
   * ImageTooBig when the image's virtual size exceeds `volume.size`, and a 400-class error when
   * the data is not an image of its disk format.
   */
  createVolumeFromImage(volume: VolumeRef, image: ImageSource, options?: OperationOptions): Promise<CreatedVolume>;
  /** Write the volume's data to `sink` in `sink.diskFormat`. */
  copyVolumeToImage(volume: VolumeRef, sink: ImageSink, options?: OperationOptions): Promise<void>;
  /** Grow the volume to `newSize` GiB. */
  extendVolume(volume: VolumeRef, newSize: number, options?: OperationOptions): Promise<void>;
  /** Remove the volume and its data; resolves when it is already gone. */
  deleteVolume(volume: VolumeRef): Promise<void>;
  /** A point-in-time copy of `volume`. */
  createSnapshot(snapshot: SnapshotRef, volume: VolumeRef, options?: OperationOptions): Promise<CreatedSnapshot>;
  /** Remove the snapshot; resolves when it is already gone. */
  deleteSnapshot(snapshot: SnapshotRef, volume: VolumeRef): Promise<void>;
  /** Put the snapshot's data back into the volume (only with `capabilities.revertToSnapshot`). */
  revertToSnapshot?(volume: VolumeRef, snapshot: SnapshotRef, options?: OperationOptions): Promise<void>;
  /**
   * Export the volume to `connector` for attachment `attachmentId` and say how to reach it. Calling
   * it again for the same attachment returns the same export.
   */
  initializeConnection(volume: VolumeRef, connector: Connector, attachmentId: string, options?: ConnectionOptions): Promise<ConnectionInfo>;
  /** Tear down the export of one attachment; resolves when there is none. */
  terminateConnection(volume: VolumeRef, attachmentId: string): Promise<void>;
  /** Release what the driver holds (exports, child processes). Idempotent. */
  close(): Promise<void>;
}

/** 500-class failure of the backend itself (a tool failed, the disk is full). */
export class VolumeBackendError extends OpenStackError {
  constructor(message: string, fields: Readonly<Record<string, string | number | boolean | null>> = {}, options: { cause?: unknown } = {}) {
    super(500, 'VolumeBackendAPIException', message, fields, options);
  }
}

/** 400: the image does not fit into the volume. */
export class ImageTooBig extends OpenStackError {
  constructor(imageId: string, virtualSizeGb: number, volumeSizeGb: number) {
    super(400, 'ImageUnacceptable', `Image ${imageId} is unacceptable: Image virtual size is ${virtualSizeGb}GB and doesn't fit in a volume of size ${volumeSizeGb}GB.`, { imageId, virtualSizeGb, volumeSizeGb });
  }
}

/** 400: the image data is not what its disk format says, or a format the backend cannot read. */
export class ImageUnacceptable extends OpenStackError {
  constructor(imageId: string, reason: string) {
    super(400, 'ImageUnacceptable', `Image ${imageId} is unacceptable: ${reason}`, { imageId, reason });
  }
}

/** 404: the driver has no volume or snapshot at the location it was given. */
export class VolumeDataNotFound extends OpenStackError {
  constructor(what: string, id: string) {
    super(404, 'VolumeDataNotFound', `The backend has no data for ${what} ${id}.`, { what, id });
  }
}

const ID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** True when `id` is a UUID, the only shape a driver turns into a file, export or device name. */
export function isVolumeObjectId(id: string): boolean {
  return ID.test(id);
}

/** Throws a TypeError unless `id` is a UUID; returns it. */
export function assertVolumeObjectId(id: string, what: string): string {
  if (!isVolumeObjectId(id)) throw new TypeError(`${what} must be a UUID, got ${JSON.stringify(id)}`);
  return id;
}

/** 1 GiB in bytes. */
export const GIB = 1024 ** 3;
