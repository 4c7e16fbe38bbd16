/**
 * Client side of the cinder-volume RPC API (topic `cinder-volume`, server `host@backend`), and of
 * the notification cinder-volume sends back to cinder-api (topic `cinder-api`, fanout).
 *
 * Version history:
 * - 1.0 - Initial version: createVolume, deleteVolume, extendVolume, createSnapshot, deleteSnapshot,
 *         revertToSnapshot, copyVolumeToImage, reimageVolume (casts); initializeConnection,
 *         terminateConnection (calls). cinder-api 1.0: volumeCreated (fanout cast).
 */
import { RpcClient, type RpcContext, type Transport } from '@strata/rpc';
import type { ConnectionInfo, Connector } from '@strata/volume';
import type { ImageRequest, RequestSpec } from '../scheduler/scheduler-rpc.js';

/** The topic of every cinder-volume; each backend also consumes `cinder-volume.<host@backend>`. */
export const VOLUME_TOPIC = 'cinder-volume';
/** The topic cinder-api consumes for completion notices. */
export const API_TOPIC = 'cinder-api';
export const VOLUME_RPC_VERSION = '1.0';

/** Where an uploaded image goes. */
export interface ImageUpload {
  readonly id: string;
  readonly diskFormat: string;
  /** glance's endpoint (unversioned) as the user's catalog lists it. */
  readonly endpoint: string;
  readonly authToken: string;
}

/** The methods each cinder-volume backend serves. */
export interface VolumeRpc {
  createVolume(ctx: RpcContext, args: { volumeId: string; requestSpec: RequestSpec }): Promise<void>;
  deleteVolume(ctx: RpcContext, args: { volumeId: string; cascade: boolean }): Promise<void>;
  extendVolume(ctx: RpcContext, args: { volumeId: string; newSize: number }): Promise<void>;
  createSnapshot(ctx: RpcContext, args: { snapshotId: string }): Promise<void>;
  deleteSnapshot(ctx: RpcContext, args: { snapshotId: string }): Promise<void>;
  revertToSnapshot(ctx: RpcContext, args: { volumeId: string; snapshotId: string }): Promise<void>;
  copyVolumeToImage(ctx: RpcContext, args: { volumeId: string; image: ImageUpload }): Promise<void>;
  reimageVolume(ctx: RpcContext, args: { volumeId: string; image: ImageRequest }): Promise<void>;
  initializeConnection(ctx: RpcContext, args: { volumeId: string; connector: Connector; attachmentId: string }): Promise<ConnectionInfo>;
  terminateConnection(ctx: RpcContext, args: { volumeId: string; attachmentId: string }): Promise<void>;
}

/** The method cinder-api serves for cinder-volume. */
export interface ApiNotifyRpc {
  /** fanout cast: a volume create finished (available or error). */
  volumeCreated(ctx: RpcContext, args: { volumeId: string; status: string }): Promise<void>;
}

/** The backend part of a volume's host (`host@backend#pool` → `host@backend`). */
export function backendOf(host: string): string {
  const i = host.indexOf('#');
  return i < 0 ? host : host.slice(0, i);
}

/** Sends to cinder-volume backends; one per process. */
export class VolumeRpcClient {
  readonly #client: RpcClient;
  readonly #notify: RpcClient;

  constructor(transport: Transport, options: { versionCap?: string; timeoutMs?: number } = {}) {
    this.#client = new RpcClient(transport, { topic: VOLUME_TOPIC, version: '1.0', ...options });
    this.#notify = new RpcClient(transport, { topic: API_TOPIC, version: '1.0' });
  }

  #to(host: string) {
    return this.#client.prepare({ server: backendOf(host), version: '1.0' });
  }

  createVolume(ctx: RpcContext, host: string, volumeId: string, requestSpec: RequestSpec): Promise<void> {
    return this.#to(host).cast(ctx, 'createVolume', { volumeId, requestSpec });
  }

  deleteVolume(ctx: RpcContext, host: string, volumeId: string, cascade: boolean): Promise<void> {
    return this.#to(host).cast(ctx, 'deleteVolume', { volumeId, cascade });
  }

  extendVolume(ctx: RpcContext, host: string, volumeId: string, newSize: number): Promise<void> {
    return this.#to(host).cast(ctx, 'extendVolume', { volumeId, newSize });
  }

  createSnapshot(ctx: RpcContext, host: string, snapshotId: string): Promise<void> {
    return this.#to(host).cast(ctx, 'createSnapshot', { snapshotId });
  }

  deleteSnapshot(ctx: RpcContext, host: string, snapshotId: string): Promise<void> {
    return this.#to(host).cast(ctx, 'deleteSnapshot', { snapshotId });
  }

  revertToSnapshot(ctx: RpcContext, host: string, volumeId: string, snapshotId: string): Promise<void> {
    return this.#to(host).cast(ctx, 'revertToSnapshot', { volumeId, snapshotId });
  }

  copyVolumeToImage(ctx: RpcContext, host: string, volumeId: string, image: ImageUpload): Promise<void> {
    return this.#to(host).cast(ctx, 'copyVolumeToImage', { volumeId, image });
  }

  reimageVolume(ctx: RpcContext, host: string, volumeId: string, image: ImageRequest): Promise<void> {
    return this.#to(host).cast(ctx, 'reimageVolume', { volumeId, image });
  }

  initializeConnection(ctx: RpcContext, host: string, volumeId: string, connector: Connector, attachmentId: string): Promise<ConnectionInfo> {
    return this.#client.prepare({ server: backendOf(host), version: '1.0', timeoutMs: 60_000 }).call<ConnectionInfo>(ctx, 'initializeConnection', { volumeId, connector, attachmentId });
  }

  terminateConnection(ctx: RpcContext, host: string, volumeId: string, attachmentId: string): Promise<void> {
    return this.#client.prepare({ server: backendOf(host), version: '1.0', timeoutMs: 60_000 }).call<void>(ctx, 'terminateConnection', { volumeId, attachmentId });
  }

  /** Tell every cinder-api a create finished (FLOW.md step 48). */
  volumeCreated(ctx: RpcContext, volumeId: string, status: string): Promise<void> {
    return this.#notify.prepare({ fanout: true }).cast(ctx, 'volumeCreated', { volumeId, status });
  }
}
