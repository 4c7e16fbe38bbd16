/**
 * The compute RPC API (topic `compute.<host>`). Version history:
 * 1.0 - buildAndRunInstance, terminateInstance, power and lifecycle actions, console output,
 *       volume/interface attach, snapshot, external events; getVncConsole (added compatibly).
 */
import type { RpcClient, RpcContext } from '@strata/rpc';
import type { RequestSpec } from '../scheduler/scheduler-rpc.js';

/** Arguments of buildAndRunInstance. */
export interface BuildAndRunArgs {
  readonly instanceId: string;
  readonly spec: RequestSpec;
  readonly attempt: number;
  /** Hosts tried before (this one included), for a reschedule. */
  readonly triedHosts: readonly string[];
  readonly authToken: string;
}

/** A lifecycle action run on the host that holds the guest. */
export type PowerAction = 'stop' | 'start' | 'reboot_soft' | 'reboot_hard' | 'pause' | 'unpause' | 'suspend' | 'resume' | 'shelve' | 'rebuild' | 'resize' | 'confirm_resize' | 'revert_resize' | 'rescue' | 'unrescue';

/** An external event from neutron or cinder (`os-server-external-events`). */
export interface ExternalEvent {
  readonly name: string;
  readonly tag: string | null;
  readonly status: string;
}

/** The contract. */
export interface ComputeRpc {
  /** cast */
  buildAndRunInstance(ctx: RpcContext, args: BuildAndRunArgs): Promise<void>;
  /** cast */
  terminateInstance(ctx: RpcContext, args: { instanceId: string; authToken: string }): Promise<void>;
  /** cast */
  runAction(ctx: RpcContext, args: { instanceId: string; action: PowerAction; authToken: string; extra?: Record<string, unknown> }): Promise<void>;
  /** call */
  getConsoleOutput(ctx: RpcContext, args: { instanceId: string; length: number | null }): Promise<string>;
  /** call: where the guest's VNC server listens; 400 ConsoleTypeUnavailable without one */
  getVncConsole(ctx: RpcContext, args: { instanceId: string }): Promise<{ host: string; port: number }>;
  /** cast */
  snapshotInstance(ctx: RpcContext, args: { instanceId: string; imageId: string; authToken: string }): Promise<void>;
  /** call: attach a volume through cinder's attachments API */
  attachVolume(ctx: RpcContext, args: { instanceId: string; volumeId: string; device: string; tag: string | null; deleteOnTermination: boolean; authToken: string }): Promise<void>;
  /** cast */
  detachVolume(ctx: RpcContext, args: { instanceId: string; volumeId: string; authToken: string }): Promise<void>;
  /** call: returns the port */
  attachInterface(ctx: RpcContext, args: { instanceId: string; networkId: string | null; portId: string | null; fixedIp: string | null; authToken: string }): Promise<{ portId: string }>;
  /** call */
  detachInterface(ctx: RpcContext, args: { instanceId: string; portId: string; authToken: string }): Promise<void>;
  /** cast */
  externalInstanceEvent(ctx: RpcContext, args: { instanceId: string; events: ExternalEvent[] }): Promise<void>;
}

type Args<M extends keyof ComputeRpc> = Parameters<ComputeRpc[M]>[1];

/** Client side of the compute RPC API. */
export class ComputeRpcClient {
  static readonly VERSION = '1.0';
  readonly #client: RpcClient;
  constructor(client: RpcClient) {
    this.#client = client;
  }

  buildAndRunInstance(ctx: RpcContext, host: string, args: Args<'buildAndRunInstance'>): Promise<void> {
    return this.#client.prepare({ server: host, version: '1.0' }).cast(ctx, 'buildAndRunInstance', args);
  }
  terminateInstance(ctx: RpcContext, host: string, args: Args<'terminateInstance'>): Promise<void> {
    return this.#client.prepare({ server: host, version: '1.0' }).cast(ctx, 'terminateInstance', args);
  }
  runAction(ctx: RpcContext, host: string, args: Args<'runAction'>): Promise<void> {
    return this.#client.prepare({ server: host, version: '1.0' }).cast(ctx, 'runAction', args);
  }
  getConsoleOutput(ctx: RpcContext, host: string, args: Args<'getConsoleOutput'>): Promise<string> {
    return this.#client.prepare({ server: host, version: '1.0', timeoutMs: 30_000 }).call<string>(ctx, 'getConsoleOutput', args);
  }
  getVncConsole(ctx: RpcContext, host: string, args: Args<'getVncConsole'>): Promise<{ host: string; port: number }> {
    return this.#client.prepare({ server: host, version: '1.0', timeoutMs: 30_000 }).call<{ host: string; port: number }>(ctx, 'getVncConsole', args);
  }
  snapshotInstance(ctx: RpcContext, host: string, args: Args<'snapshotInstance'>): Promise<void> {
    return this.#client.prepare({ server: host, version: '1.0' }).cast(ctx, 'snapshotInstance', args);
  }
  async attachVolume(ctx: RpcContext, host: string, args: Args<'attachVolume'>): Promise<void> {
    await this.#client.prepare({ server: host, version: '1.0', timeoutMs: 120_000 }).call(ctx, 'attachVolume', args);
  }
  detachVolume(ctx: RpcContext, host: string, args: Args<'detachVolume'>): Promise<void> {
    return this.#client.prepare({ server: host, version: '1.0' }).cast(ctx, 'detachVolume', args);
  }
  attachInterface(ctx: RpcContext, host: string, args: Args<'attachInterface'>): Promise<{ portId: string }> {
    return this.#client.prepare({ server: host, version: '1.0', timeoutMs: 120_000 }).call<{ portId: string }>(ctx, 'attachInterface', args);
  }
  async detachInterface(ctx: RpcContext, host: string, args: Args<'detachInterface'>): Promise<void> {
    await this.#client.prepare({ server: host, version: '1.0', timeoutMs: 120_000 }).call(ctx, 'detachInterface', args);
  }
  externalInstanceEvent(ctx: RpcContext, host: string, args: Args<'externalInstanceEvent'>): Promise<void> {
    return this.#client.prepare({ server: host, version: '1.0' }).cast(ctx, 'externalInstanceEvent', args);
  }
}
