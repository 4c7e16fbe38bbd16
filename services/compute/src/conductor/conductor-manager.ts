/** nova-conductor: the compute hosts' only way to the database (steps 15–18), a thin and auditable proxy. */
import type { Tracer } from '@strata/trace';
import type { RpcContext } from '@strata/rpc';
import { nowIso } from '@strata/db';
import type { Instance, InstanceStore } from '../objects/instance.js';
import type { InstanceActionStore } from '../objects/instance-action.js';
import type { QuotaStore } from '../objects/quota.js';
import type { ServiceStore } from '../objects/service-record.js';
import type { ServerGroupStore } from '../objects/server-group.js';
import type { VolumeAttachment, VolumeAttachmentStore } from '../objects/volume-attachment.js';
import type { ConductorRpc } from './conductor-rpc.js';
import { actionEventOf, isFlowStepEvent, mark, traceIdOf, traceOf } from '../trace-steps.js';

/** What the conductor is built from. */
export interface ConductorManagerOptions {
  readonly instances: InstanceStore;
  readonly actions: InstanceActionStore;
  readonly quotas: QuotaStore;
  readonly services: ServiceStore;
  readonly groups: ServerGroupStore;
  readonly attachments: VolumeAttachmentStore;
  readonly tracer: Tracer;
}

/** The server side of the conductor RPC API. */
export class ConductorManager implements ConductorRpc {
  readonly #o: ConductorManagerOptions;
  constructor(options: ConductorManagerOptions) {
    this.#o = options;
  }

  async instanceGetWithFlavor(ctx: RpcContext, args: { instanceId: string }): Promise<Instance> {
    const trace = traceOf(this.#o.tracer, ctx);
    mark(trace, 15, 'nova-conductor', 'rpc', 'instance and flavor requested');
    const started = Date.now();
    const instance = await trace.step(16, 'nova-conductor', 'db', () => this.#o.instances.get(args.instanceId), 'instance row read');
    mark(trace, 17, 'nova-conductor', 'db', `flavor ${instance.flavor.name}: ${instance.flavor.vcpus} vCPU, ${instance.flavor.memoryMb} MB, ${instance.flavor.rootGb} GB`, started);
    mark(trace, 18, 'nova-conductor', 'rpc', 'reply sent');
    return instance;
  }

  async instanceUpdate(_ctx: RpcContext, args: { instanceId: string; changes: Partial<Instance>; expectedTaskState?: Array<string | null> }): Promise<Instance> {
    return this.#o.instances.save(args.instanceId, args.changes, args.expectedTaskState !== undefined ? { expectedTaskState: args.expectedTaskState } : {});
  }

  async instanceBuildFailed(_ctx: RpcContext, args: { instanceId: string; host: string; fault: { code: number; message: string; details: string } | null }): Promise<void> {
    await this.#o.services.release(args.instanceId);
    const changes = args.fault === null ? { host: null, node: null, taskState: 'scheduling' } : { host: null, node: null, vmState: 'error' as const, taskState: null, powerState: 0, fault: { ...args.fault, created: nowIso() } };
    await this.#o.instances.save(args.instanceId, changes).catch(() => undefined);
  }

  async instanceDestroy(ctx: RpcContext, args: { instanceId: string }): Promise<void> {
    const instance = await this.#o.instances.find(args.instanceId);
    if (instance === undefined) return;
    await this.#o.instances.markDeleted(instance.id);
    await this.#o.services.release(instance.id);
    await this.#o.quotas.release(instance.projectId, { instances: 1, cores: instance.flavor.vcpus, ram: instance.flavor.memoryMb });
    await this.#o.groups.removeMember(instance.id);
    for (const a of await this.#o.attachments.list(instance.id)) await this.#o.attachments.delete(instance.id, a.volumeId);
    await this.#o.actions.finish(instance.id, ctx.requestId, null);
  }

  async instanceOffload(_ctx: RpcContext, args: { instanceId: string }): Promise<Instance> {
    await this.#o.services.release(args.instanceId);
    return this.#o.instances.save(args.instanceId, { host: null, node: null, vmState: 'shelved_offloaded', powerState: 4, taskState: null });
  }

  async recordActionEvents(ctx: RpcContext, args: { instanceId: string; requestId: string; events: Array<{ event: string; startTime: string; finishTime: string | null; result: string | null; traceback: string | null; host: string | null; details: string | null }>; finish: boolean }): Promise<void> {
    // NOTE: a compute host publishing flow steps has only its own; the steps of this process (nova-api, the
    // scheduler, the conductor, and the services sharing the process) join them, so a separate host's trace is whole.
    let ours: typeof args.events = [];
    if (args.events.some(isFlowStepEvent)) {
      const host = args.events.find((x) => x.host !== null)?.host ?? null;
      ours = this.#o.tracer.takeUnpublished(traceIdOf(ctx)).map((e) => actionEventOf(e, host));
    }
    await this.#o.actions.addEvents(args.instanceId, args.requestId, [...ours, ...args.events]);
    if (args.finish) await this.#o.actions.finish(args.instanceId, args.requestId, args.events.some((e) => e.result === 'Error') ? 'Error' : null);
  }

  async serviceReport(_ctx: RpcContext, args: { report: import('../objects/service-record.js').NodeReport; binary: string; topic: string }): Promise<{ serviceId: string }> {
    const s = await this.#o.services.register(args.report.host, args.binary, args.topic);
    await this.#o.services.heartbeat(s.uuid);
    await this.#o.services.reportNode(args.report);
    return { serviceId: s.uuid };
  }

  async attachmentCreate(_ctx: RpcContext, args: Omit<VolumeAttachment, 'id' | 'createdAt'>): Promise<VolumeAttachment> {
    return this.#o.attachments.create(args);
  }

  async attachmentList(_ctx: RpcContext, args: { instanceId: string }): Promise<VolumeAttachment[]> {
    return this.#o.attachments.list(args.instanceId);
  }

  async attachmentDelete(_ctx: RpcContext, args: { instanceId: string; volumeId: string }): Promise<void> {
    await this.#o.attachments.delete(args.instanceId, args.volumeId);
  }
}
