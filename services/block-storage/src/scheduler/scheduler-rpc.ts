/**
 * Client side of the cinder-scheduler RPC API (topic `cinder-scheduler`).
 *
 * Version history:
 * - 1.0 - Initial version: createVolume (cast), extendVolume (cast), retypeVolume (cast), getPools (call).
 */
import { RpcClient, type RpcContext, type Transport } from '@strata/rpc';

/** The topic every cinder-scheduler consumes. */
export const SCHEDULER_TOPIC = 'cinder-scheduler';

/** The newest version of this API; the server implements it. */
export const SCHEDULER_RPC_VERSION = '1.0';

/** Image data a new volume is made from; the token lets cinder-volume read it from glance as the user. */
export interface ImageRequest {
  readonly id: string;
  readonly diskFormat: string;
  readonly containerFormat: string;
  /** glance's endpoint (unversioned) as the user's catalog lists it. */
  readonly endpoint: string;
  readonly authToken: string;
  /** Image properties to record as the volume's volume_image_metadata. */
  readonly properties: Readonly<Record<string, string>>;
}

/** What the scheduler needs to place a new volume (cinder's request_spec). */
export interface RequestSpec {
  readonly volumeId: string;
  readonly projectId: string;
  readonly size: number;
  readonly volumeTypeId: string;
  readonly volumeTypeName: string;
  /** The type's extra specs, matched against backend capabilities. */
  readonly extraSpecs: Readonly<Record<string, string>>;
  readonly availabilityZone: string | null;
  readonly snapshotId: string | null;
  readonly sourceVolid: string | null;
  /** `host@backend#pool` the source (snapshot or volume) lives on: the volume must go there. */
  readonly resourceBackend: string | null;
  readonly multiattach: boolean;
  readonly image: ImageRequest | null;
}

/** A pool as `scheduler-stats/get_pools` shows it. */
export interface PoolInfo {
  /** `host@backend#pool`. */
  readonly name: string;
  readonly capabilities: Readonly<Record<string, unknown>>;
}

/** The methods cinder-scheduler serves. */
export interface SchedulerRpc {
  /** cast: place the volume, claim capacity, and cast createVolume to its backend; on failure the volume goes to error. */
  createVolume(ctx: RpcContext, args: { requestSpec: RequestSpec }): Promise<void>;
  /** cast: check and claim the extra capacity on the volume's pool, then cast extendVolume to its backend. */
  extendVolume(ctx: RpcContext, args: { volumeId: string; newSize: number }): Promise<void>;
  /**
   * cast: keep the volume where it is under a new type when its pool satisfies the type (no
   * migration); otherwise give it back its status and say why in a user message.
   */
  retypeVolume(ctx: RpcContext, args: { volumeId: string; newTypeId: string; migrationPolicy: 'never' | 'on-demand' }): Promise<void>;
  /** call: the pools of live backends (admin API). */
  getPools(ctx: RpcContext, args: { detail: boolean; filters: Readonly<Record<string, string>> }): Promise<PoolInfo[]>;
}

/** Sends to cinder-scheduler; one per API process. */
export class SchedulerRpcClient {
  readonly #client: RpcClient;

  constructor(transport: Transport, options: { versionCap?: string; timeoutMs?: number } = {}) {
    this.#client = new RpcClient(transport, { topic: SCHEDULER_TOPIC, version: '1.0', ...options });
  }

  createVolume(ctx: RpcContext, requestSpec: RequestSpec): Promise<void> {
    return this.#client.prepare({ version: '1.0' }).cast(ctx, 'createVolume', { requestSpec });
  }

  extendVolume(ctx: RpcContext, volumeId: string, newSize: number): Promise<void> {
    return this.#client.prepare({ version: '1.0' }).cast(ctx, 'extendVolume', { volumeId, newSize });
  }

  retypeVolume(ctx: RpcContext, volumeId: string, newTypeId: string, migrationPolicy: 'never' | 'on-demand'): Promise<void> {
    return this.#client.prepare({ version: '1.0' }).cast(ctx, 'retypeVolume', { volumeId, newTypeId, migrationPolicy });
  }

  getPools(ctx: RpcContext, detail: boolean, filters: Readonly<Record<string, string>> = {}): Promise<PoolInfo[]> {
    return this.#client.prepare({ version: '1.0', timeoutMs: 30_000 }).call<PoolInfo[]>(ctx, 'getPools', { detail, filters });
  }
}
