/** nova-scheduler: receives build requests (step 9), reads hosts (10), filters, weighs and claims (11), casts to the host (12). */
import type { Logger } from '@strata/log';
import type { RpcContext } from '@strata/rpc';
import type { Tracer } from '@strata/trace';
import { nowIso } from '@strata/db';
import type { InstanceStore } from '../objects/instance.js';
import type { InstanceActionStore } from '../objects/instance-action.js';
import { serviceIsUp, type ServiceStore } from '../objects/service-record.js';
import type { ServerGroupStore } from '../objects/server-group.js';
import type { AggregateStore } from '../objects/aggregate.js';
import type { ComputeRpcClient } from '../agent/compute-rpc.js';
import { flavorDiskGb, type FilterRequest, type HostFilter, type HostState, type HostWeigher } from './host-state.js';
import { defaultFilters, defaultWeighers, noValidHostMessage, selectHosts } from './host-selector.js';
import type { BuildInstancesArgs, SchedulerRpc } from './scheduler-rpc.js';
import { mark, traceOf } from '../trace-steps.js';

/** What the scheduler is built from. */
export interface SchedulerManagerOptions {
  readonly instances: InstanceStore;
  readonly actions: InstanceActionStore;
  readonly services: ServiceStore;
  readonly groups: ServerGroupStore;
  readonly aggregates: AggregateStore;
  readonly computeRpc: ComputeRpcClient;
  readonly tracer: Tracer;
  readonly logger: Logger;
  readonly serviceDownTimeMs: number;
  readonly filters?: readonly HostFilter[];
  readonly weighers?: readonly HostWeigher[];
}

/** The server side of the scheduler RPC API. */
export class SchedulerManager implements SchedulerRpc {
  readonly #o: SchedulerManagerOptions;
  readonly #filters: readonly HostFilter[];
  readonly #weighers: readonly HostWeigher[];

  constructor(options: SchedulerManagerOptions) {
    this.#o = options;
    this.#filters = options.filters ?? defaultFilters();
    this.#weighers = options.weighers ?? defaultWeighers();
  }

  /** Step 10: every compute node with its service state. */
  async hostStates(): Promise<HostState[]> {
    const [nodes, services, zones] = await Promise.all([this.#o.services.listNodes(), this.#o.services.listServices({ binary: 'nova-compute' }), this.#o.aggregates.zoneByHost()]);
    const byHost = new Map(services.map((s) => [s.host, s]));
    const now = Date.now();
    return nodes.map((n) => {
      const s = byHost.get(n.host);
      return {
        host: n.host,
        node: n.hypervisorHostname,
        availabilityZone: zones.get(n.host) ?? n.availabilityZone,
        up: s !== undefined && serviceIsUp(s, this.#o.serviceDownTimeMs, now),
        disabled: s === undefined || s.disabled,
        vcpus: n.vcpus,
        vcpusUsed: n.vcpusUsed,
        memoryMb: n.memoryMb,
        memoryMbUsed: n.memoryMbUsed,
        localGb: n.localGb,
        localGbUsed: n.localGbUsed,
        cpuAllocationRatio: n.cpuAllocationRatio,
        ramAllocationRatio: n.ramAllocationRatio,
        diskAllocationRatio: n.diskAllocationRatio,
        hypervisorType: n.hypervisorType,
        runningVms: n.runningVms,
        instances: new Set<string>(),
      };
    });
  }

  async buildInstances(ctx: RpcContext, args: BuildInstancesArgs): Promise<void> {
    const trace = traceOf(this.#o.tracer, ctx);
    mark(trace, 9, 'nova-scheduler', 'rpc', `build request for ${args.instanceIds.length} server(s), attempt ${args.attempt}`);
    const started = Date.now();
    let hosts = await trace.step(10, 'nova-scheduler', 'db', () => this.hostStates(), 'compute nodes and services read');
    hosts = hosts.filter((h) => !args.excludedHosts.includes(h.host));
    const group = args.spec.serverGroupId === null ? null : await this.#o.groups.get(args.spec.serverGroupId).catch(() => null);
    const groupHosts = new Set<string>();
    if (group !== null) {
      const members = await this.#o.instances.list({ ids: group.members });
      for (const m of members) if (m.host !== null && !args.instanceIds.includes(m.id)) groupHosts.add(m.host);
    }
    for (const instanceId of args.instanceIds) {
      const stepStart = Date.now();
      const instance = await this.#o.instances.find(instanceId);
      if (instance === undefined || instance.taskState === 'deleting') continue;
      const req: FilterRequest = { flavor: args.spec.flavor, imageProperties: args.spec.imageProperties, availabilityZone: args.spec.availabilityZone, forceHost: args.spec.forceHost, group, groupHosts };
      const selection = selectHosts(hosts, req, this.#filters, this.#weighers);
      const claim = { vcpus: args.spec.flavor.vcpus, memoryMb: args.spec.flavor.memoryMb, diskGb: flavorDiskGb(args.spec.flavor) };
      let chosen: HostState | undefined;
      for (const h of selection.hosts) {
        if (await this.#o.services.claim(h.host, instanceId, claim)) {
          chosen = h;
          break;
        }
      }
      if (chosen === undefined) {
        const message = args.lastFailure !== undefined ? `Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for instance ${instanceId}. Last failure: ${args.lastFailure}` : noValidHostMessage(hosts.length, selection.rejections);
        trace.record({ step: 11, component: 'nova-scheduler', kind: 'db', startedAt: stepStart, durationMs: Date.now() - stepStart, outcome: 'error', detail: message });
        this.#o.logger.warn({ instanceId, requestId: ctx.requestId, rejections: selection.rejections }, 'no valid host');
        await this.#o.instances.save(instanceId, { vmState: 'error', taskState: null, fault: { code: 500, message: args.lastFailure !== undefined ? message : 'No valid host was found. There are not enough hosts available.', details: message, created: nowIso() } }).catch(() => undefined);
        await this.#o.actions.addEvents(instanceId, ctx.requestId, [{ event: 'conductor_schedule_and_build_instances', startTime: new Date(started).toISOString(), finishTime: nowIso(), result: 'Error', traceback: message, host: null, details: null }]);
        await this.#o.actions.finish(instanceId, ctx.requestId, 'Error');
        continue;
      }
      hosts = hosts.map((h) => (h === chosen ? { ...h, vcpusUsed: h.vcpusUsed + claim.vcpus, memoryMbUsed: h.memoryMbUsed + claim.memoryMb, localGbUsed: h.localGbUsed + claim.diskGb } : h));
      groupHosts.add(chosen.host);
      await this.#o.instances.save(instanceId, { host: chosen.host, node: chosen.node, availabilityZone: chosen.availabilityZone });
      trace.record({ step: 11, component: 'nova-scheduler', kind: 'db', startedAt: stepStart, durationMs: Date.now() - stepStart, outcome: 'ok', detail: `chose ${chosen.host} of ${selection.hosts.length} passing host(s), claimed ${claim.vcpus} vCPU / ${claim.memoryMb} MB / ${claim.diskGb} GB` });
      await this.#o.actions.addEvents(instanceId, ctx.requestId, [{ event: 'conductor_schedule_and_build_instances', startTime: new Date(started).toISOString(), finishTime: nowIso(), result: 'Success', traceback: null, host: chosen.host, details: null }]);
      await trace.step(12, 'nova-scheduler', 'rpc', () =>
        this.#o.computeRpc.buildAndRunInstance(ctx, chosen.host, { instanceId, spec: args.spec, attempt: args.attempt, triedHosts: [...args.excludedHosts, chosen.host], authToken: args.authToken }),
        `cast to compute.${chosen.host}`,
      );
    }
  }
}
