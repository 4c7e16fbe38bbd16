/**
 * The conductor RPC API (topic `conductor`): nova-compute's only way to the database. Version history:
 * 1.0 - instanceGetWithFlavor, instanceUpdate, instanceBuildFailed, instanceDestroy, recordActionEvents,
 *       serviceReport, attachmentCreate/Delete (calls).
 * 1.1 - instanceOffload (call): shelve offload gives the host back.
 */
import type { RpcClient, RpcContext } from '@strata/rpc';
import type { Instance, InstanceUpdate } from '../objects/instance.js';
import type { InstanceActionEvent } from '../objects/instance-action.js';
import type { NodeReport } from '../objects/service-record.js';
import type { VolumeAttachment } from '../objects/volume-attachment.js';

/** The contract; every method is a call. */
export interface ConductorRpc {
  instanceGetWithFlavor(ctx: RpcContext, args: { instanceId: string }): Promise<Instance>;
  instanceUpdate(ctx: RpcContext, args: { instanceId: string; changes: InstanceUpdate; expectedTaskState?: Array<string | null> }): Promise<Instance>;
  /** Release the host claim, clear the host, and either record the fault (ERROR) or leave it for a reschedule. */
  instanceBuildFailed(ctx: RpcContext, args: { instanceId: string; host: string; fault: { code: number; message: string; details: string } | null }): Promise<void>;
  /** Mark deleted and give back claims, quota and group membership. */
  instanceDestroy(ctx: RpcContext, args: { instanceId: string }): Promise<void>;
  /** The guest is gone from its host (shelve offload): release the claim, clear host and node. */
  instanceOffload(ctx: RpcContext, args: { instanceId: string }): Promise<Instance>;
  recordActionEvents(ctx: RpcContext, args: { instanceId: string; requestId: string; events: InstanceActionEvent[]; finish: boolean }): Promise<void>;
  /** A host's heartbeat and resources; returns the service id. */
  serviceReport(ctx: RpcContext, args: { report: NodeReport; binary: string; topic: string }): Promise<{ serviceId: string }>;
  attachmentCreate(ctx: RpcContext, args: Omit<VolumeAttachment, 'id' | 'createdAt'>): Promise<VolumeAttachment>;
  attachmentList(ctx: RpcContext, args: { instanceId: string }): Promise<VolumeAttachment[]>;
  attachmentDelete(ctx: RpcContext, args: { instanceId: string; volumeId: string }): Promise<void>;
}

type Args<M extends keyof ConductorRpc> = Parameters<ConductorRpc[M]>[1];
type Result<M extends keyof ConductorRpc> = Awaited<ReturnType<ConductorRpc[M]>>;

/** Client side of the conductor RPC API. */
export class ConductorRpcClient {
  static readonly VERSION = '1.1';
  readonly #client: RpcClient;
  constructor(client: RpcClient) {
    this.#client = client;
  }

  #call<M extends keyof ConductorRpc>(ctx: RpcContext, method: M, args: Args<M>): Promise<Result<M>> {
    return this.#client.prepare({ version: '1.0' }).call<Result<M>>(ctx, method, args);
  }

  instanceGetWithFlavor(ctx: RpcContext, args: Args<'instanceGetWithFlavor'>): Promise<Instance> {
    return this.#call(ctx, 'instanceGetWithFlavor', args);
  }
  instanceUpdate(ctx: RpcContext, args: Args<'instanceUpdate'>): Promise<Instance> {
    return this.#call(ctx, 'instanceUpdate', args);
  }
  async instanceBuildFailed(ctx: RpcContext, args: Args<'instanceBuildFailed'>): Promise<void> {
    await this.#call(ctx, 'instanceBuildFailed', args);
  }
  async instanceDestroy(ctx: RpcContext, args: Args<'instanceDestroy'>): Promise<void> {
    await this.#call(ctx, 'instanceDestroy', args);
  }
  instanceOffload(ctx: RpcContext, args: Args<'instanceOffload'>): Promise<Instance> {
    return this.#client.prepare({ version: '1.1' }).call<Instance>(ctx, 'instanceOffload', args);
  }
  async recordActionEvents(ctx: RpcContext, args: Args<'recordActionEvents'>): Promise<void> {
    await this.#call(ctx, 'recordActionEvents', args);
  }
  serviceReport(ctx: RpcContext, args: Args<'serviceReport'>): Promise<{ serviceId: string }> {
    return this.#call(ctx, 'serviceReport', args);
  }
  attachmentCreate(ctx: RpcContext, args: Args<'attachmentCreate'>): Promise<VolumeAttachment> {
    return this.#call(ctx, 'attachmentCreate', args);
  }
  attachmentList(ctx: RpcContext, args: Args<'attachmentList'>): Promise<VolumeAttachment[]> {
    return this.#call(ctx, 'attachmentList', args);
  }
  async attachmentDelete(ctx: RpcContext, args: Args<'attachmentDelete'>): Promise<void> {
    await this.#call(ctx, 'attachmentDelete', args);
  }
}
