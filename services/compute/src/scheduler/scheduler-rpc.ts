/**
 * The scheduler RPC API (topic `scheduler`). Version history:
 * 1.0 - buildInstances() (cast): schedule and claim, then cast to each chosen compute host.
 */
import type { RpcClient, RpcContext } from '@strata/rpc';
import type { FlavorSnapshot } from '../objects/instance.js';

/** What the scheduler needs to place servers (nova's RequestSpec). */
export interface RequestSpec {
  readonly projectId: string;
  readonly flavor: FlavorSnapshot;
  readonly imageRef: string;
  readonly imageProperties: Readonly<Record<string, unknown>>;
  readonly availabilityZone: string | null;
  /** Pin to a host (admin `availability_zone=az:host`). */
  readonly forceHost: string | null;
  readonly serverGroupId: string | null;
}

/** Arguments of buildInstances. */
export interface BuildInstancesArgs {
  readonly instanceIds: readonly string[];
  readonly spec: RequestSpec;
  /** 1 for the first try; a reschedule sends attempt + 1. */
  readonly attempt: number;
  /** Hosts that already failed this build. */
  readonly excludedHosts: readonly string[];
  /** The user's token, passed on to nova-compute for its calls to glance, neutron and cinder. */
  readonly authToken: string;
  /** Why the previous attempt failed (a reschedule), for the fault if no host is left. */
  readonly lastFailure?: string;
}

/** The contract. */
export interface SchedulerRpc {
  /** cast */
  buildInstances(ctx: RpcContext, args: BuildInstancesArgs): Promise<void>;
}

/** Client side of the scheduler RPC API. */
export class SchedulerRpcClient {
  static readonly VERSION = '1.0';
  readonly #client: RpcClient;
  constructor(client: RpcClient) {
    this.#client = client;
  }

  buildInstances(ctx: RpcContext, args: BuildInstancesArgs): Promise<void> {
    return this.#client.prepare({ version: '1.0' }).cast(ctx, 'buildInstances', args);
  }
}
