/**
 * nova-compute: builds guests (steps 13–51) from what conductor, glance, neutron and cinder give
 * it, runs lifecycle actions, and never touches the database (everything goes through conductor).
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BadRequest } from '@strata/errors';
import type { Logger } from '@strata/log';
import type { RpcContext } from '@strata/rpc';
import { FLOW_STEPS, type Trace, type Tracer } from '@strata/trace';
import type { ConductorRpcClient } from '../conductor/conductor-rpc.js';
import type { SchedulerRpcClient } from '../scheduler/scheduler-rpc.js';
import type { BlockDeviceRequest, Instance, MutableInstanceUpdate, NetworkInfo, RequestedNetwork } from '../objects/instance.js';
import { PowerState } from '../objects/instance.js';
import type { InstanceActionEvent } from '../objects/instance-action.js';
import { cachedFileOk, type ImageService } from '../clients/image-service.js';
import type { NetworkService, PortMeta } from '../clients/network-service.js';
import type { VolumeService } from '../clients/volume-service.js';
import { actionEventOf, LiveSteps, mark, traceOf } from '../trace-steps.js';
import type { BuildAndRunArgs, ComputeRpc, ExternalEvent, PowerAction } from './compute-rpc.js';
import type { GuestSpec, Hypervisor, PortBinding } from './hypervisor.js';
import { KeyedMutex } from './keyed-mutex.js';

/** What a compute host is built from. */
export interface ComputeManagerOptions {
  readonly host: string;
  readonly hypervisor: Hypervisor;
  readonly conductor: ConductorRpcClient;
  readonly scheduler: SchedulerRpcClient;
  readonly images: ImageService;
  readonly networks: NetworkService;
  readonly volumes: VolumeService;
  readonly tracer: Tracer;
  readonly logger: Logger;
  /** Per-host image cache directory; null keeps no image data (metadata only). */
  readonly imageCacheDir: string | null;
  readonly maxAttempts: number;
  readonly vifPluggingTimeoutMs: number;
  /** How often guests' power states are compared with the hypervisor's (0: only on its events). @default 60000 */
  readonly powerSyncIntervalMs?: number;
}

/** A build failure at a FLOW.md step. */
class BuildStepError extends Error {
  readonly step: number;
  constructor(step: number, cause: unknown) {
    super(`step ${step} (${FLOW_STEPS[step - 1]?.title ?? ''}): ${(cause as Error).message ?? String(cause)}`, { cause });
    this.step = step;
  }
}

async function atStep<T>(step: number, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof BuildStepError) throw err;
    throw new BuildStepError(step, err);
  }
}

const ACTION_STATES: Readonly<Record<string, { vmState: Instance['vmState']; powerState: number; event: string }>> = {
  stop: { vmState: 'stopped', powerState: PowerState.SHUTDOWN, event: 'compute_stop_instance' },
  start: { vmState: 'active', powerState: PowerState.RUNNING, event: 'compute_start_instance' },
  reboot_soft: { vmState: 'active', powerState: PowerState.RUNNING, event: 'compute_reboot_instance' },
  reboot_hard: { vmState: 'active', powerState: PowerState.RUNNING, event: 'compute_reboot_instance' },
  pause: { vmState: 'paused', powerState: PowerState.PAUSED, event: 'compute_pause_instance' },
  unpause: { vmState: 'active', powerState: PowerState.RUNNING, event: 'compute_unpause_instance' },
  suspend: { vmState: 'suspended', powerState: PowerState.SUSPENDED, event: 'compute_suspend_instance' },
  resume: { vmState: 'active', powerState: PowerState.RUNNING, event: 'compute_resume_instance' },
  shelve: { vmState: 'shelved', powerState: PowerState.SHUTDOWN, event: 'compute_shelve_instance' },
  rebuild: { vmState: 'active', powerState: PowerState.RUNNING, event: 'compute_rebuild_instance' },
  resize: { vmState: 'resized', powerState: PowerState.RUNNING, event: 'compute_resize_instance' },
  confirm_resize: { vmState: 'active', powerState: PowerState.RUNNING, event: 'compute_confirm_resize' },
  revert_resize: { vmState: 'active', powerState: PowerState.RUNNING, event: 'compute_revert_resize' },
  rescue: { vmState: 'rescued', powerState: PowerState.RUNNING, event: 'compute_rescue_instance' },
  unrescue: { vmState: 'active', powerState: PowerState.RUNNING, event: 'compute_unrescue_instance' },
};

/** The server side of the compute RPC API on one host. */
export class ComputeManager implements ComputeRpc {
  readonly #o: ComputeManagerOptions;
  readonly #locks = new KeyedMutex();
  readonly #imageFetches = new Map<string, Promise<string>>();
  /** Events that arrived, by instance, so a waiter registered late still sees them. */
  readonly #events = new Map<string, Set<string>>();
  readonly #waiters = new Map<string, () => void>();
  /**
   * How neutron bound each port this host plugged (vif type and details, network MTU), until the
   * port leaves the guest. Empty after a restart: `#guestPorts` reads missing ones back from neutron.
   */
  readonly #bindings = new Map<string, PortBinding>();
  #powerSyncTimer: NodeJS.Timeout | undefined;
  #firstSync: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: ComputeManagerOptions) {
    this.#o = options;
    const hv = options.hypervisor;
    if (hv.powerState !== undefined) {
      hv.onPowerChange?.((id) => void this.syncPowerState(id));
      const every = options.powerSyncIntervalMs ?? 60_000;
      // NOTE: the first pass soon after start finds guests whose process went away while nova-compute was down.
      const first = setTimeout(() => void this.syncPowerStates(), Math.min(every === 0 ? 2000 : every, 2000));
      first.unref();
      if (every > 0) {
        this.#powerSyncTimer = setInterval(() => void this.syncPowerStates(), every);
        this.#powerSyncTimer.unref();
      }
      this.#firstSync = first;
    }
  }

  /** Stop the periodic tasks. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#powerSyncTimer);
    clearTimeout(this.#firstSync);
  }

  /** nova's `_sync_power_states`: every guest the hypervisor has on this host. */
  async syncPowerStates(): Promise<void> {
    const hv = this.#o.hypervisor;
    if (this.#closed || hv.guests === undefined) return;
    const ids = await hv.guests().catch((err: unknown) => {
      this.#o.logger.warn({ err }, 'power sync: could not list guests');
      return [] as string[];
    });
    for (const id of ids) await this.syncPowerState(id);
  }

  /**
   * nova's `_sync_instance_power_state`: the hypervisor's power state wins over the DB's. A
   * guest that powered itself off (or whose process died) while ACTIVE becomes SHUTOFF; a guest
   * busy in a task is left to that task.
   */
  async syncPowerState(instanceId: string): Promise<void> {
    const hv = this.#o.hypervisor;
    if (this.#closed || hv.powerState === undefined) return;
    const ctx: RpcContext = { requestId: `req-${randomUUID()}`, roles: ['admin'] };
    await this.#locks
      .run(instanceId, async () => {
        if (this.#closed) return;
        let instance: Instance;
        try {
          instance = await this.#o.conductor.instanceGetWithFlavor(ctx, { instanceId });
        } catch {
          return;
        }
        if (instance.host !== this.#o.host || instance.taskState !== null || instance.deleted) return;
        const state = await (hv.powerState as (id: string) => Promise<number>)(instanceId);
        if (state === instance.powerState) return;
        const changes: MutableInstanceUpdate = { powerState: state };
        if (instance.vmState === 'active' && (state === PowerState.SHUTDOWN || state === PowerState.CRASHED || state === PowerState.NOSTATE)) changes.vmState = 'stopped';
        this.#o.logger.info({ instanceId, vmState: instance.vmState, dbPowerState: instance.powerState, powerState: state }, 'power state out of sync: the hypervisor wins');
        await this.#o.conductor.instanceUpdate(ctx, { instanceId, changes, expectedTaskState: [null] });
      })
      .catch((err: unknown) => this.#o.logger.warn({ err, instanceId }, 'power sync failed'));
  }

  get host(): string {
    return this.#o.host;
  }

  async buildAndRunInstance(ctx: RpcContext, args: BuildAndRunArgs): Promise<void> {
    const trace = traceOf(this.#o.tracer, ctx);
    mark(trace, 13, 'nova-compute', 'rpc', `build received on ${this.#o.host}`);
    await this.#locks.run(args.instanceId, () => this.#build(ctx, trace, args));
  }

  async #build(ctx: RpcContext, trace: Trace, args: BuildAndRunArgs): Promise<void> {
    const started = new Date().toISOString();
    const token = args.authToken;
    const rid = ctx.globalRequestId;
    const made = { ports: [] as NetworkInfo[], volumes: [] as string[], attachments: [] as string[], spawned: false };
    // Steps go to the conductor as they complete (every 100 ms), so traces can be followed while the server builds.
    const live = new LiveSteps({
      tracer: this.#o.tracer,
      traceId: trace.id,
      send: (events) => this.#o.conductor.recordActionEvents(ctx, { instanceId: args.instanceId, requestId: ctx.requestId, events: events.map((e) => actionEventOf(e, this.#o.host)), finish: false }),
    });
    live.start();
    let instance: Instance;
    try {
      instance = await atStep(14, () => trace.step(14, 'nova-compute', 'rpc', () => this.#o.conductor.instanceGetWithFlavor(ctx, { instanceId: args.instanceId }), 'asked conductor for the server and flavor'));
    } catch (err) {
      this.#o.logger.warn({ err, instanceId: args.instanceId }, 'build: instance vanished');
      await live.take();
      return;
    }
    mark(trace, 19, 'nova-compute', 'rpc', `needs ${instance.flavor.vcpus} vCPU, ${instance.flavor.memoryMb} MB, ${instance.flavor.rootGb} GB`);
    if (instance.taskState === 'deleting') {
      await live.take();
      return;
    }
    try {
      await this.#o.conductor.instanceUpdate(ctx, { instanceId: instance.id, changes: { taskState: 'spawning' }, expectedTaskState: ['scheduling', 'unshelving', null] });
      const image = await this.#fetchImage(trace, token, rid, instance);
      const ports = await this.#allocateNetworks(trace, token, rid, instance, made);
      const volumes = await this.#prepareVolumes(ctx, trace, token, rid, instance, made);
      const spec = this.#guestSpec(instance, image, instance.imageRef === '' ? null : instance.imageRef, ports.map((p) => this.#guestPort(p)), volumes);
      await atStep(51, () => trace.step(51, 'nova-compute', 'rpc', () => this.#o.hypervisor.spawn(spec), `guest spawned on ${this.#o.host}`));
      made.spawned = true;
      // NOTE: the events are stored before ACTIVE is visible, so whoever sees ACTIVE sees the whole trace.
      await this.#recordEvents(ctx, live, instance.id, [{ event: 'compute_build_and_run_instance', startTime: started, finishTime: new Date().toISOString(), result: 'Success', traceback: null, host: this.#o.host, details: null }], true);
      await this.#o.conductor.instanceUpdate(ctx, {
        instanceId: instance.id,
        changes: { vmState: 'active', taskState: null, powerState: PowerState.RUNNING, launchedAt: new Date().toISOString(), networkInfo: ports, rootDeviceName: '/dev/vda', fault: null },
        expectedTaskState: ['spawning'],
      });
      this.#o.logger.info({ instanceId: instance.id, host: this.#o.host, requestId: ctx.requestId }, 'spawned instance');
    } catch (err) {
      await this.#cleanupBuild(token, rid, instance, made);
      const step = err instanceof BuildStepError ? err.step : 0;
      const message = (err as Error).message;
      const deleting = (err as { code?: string }).code === 'UnexpectedTaskState';
      if (deleting) {
        // NOTE: the server was deleted while building; terminateInstance (queued behind this lock) finishes the job.
        await live.take();
        return;
      }
      const reschedule = step === 51 && args.attempt < this.#o.maxAttempts;
      this.#o.logger.warn({ instanceId: instance.id, host: this.#o.host, step, err, reschedule }, 'build failed');
      await this.#o.conductor.instanceBuildFailed(ctx, {
        instanceId: instance.id,
        host: this.#o.host,
        fault: reschedule ? null : { code: 500, message: `Build of instance ${instance.id} aborted: ${message}`, details: message },
      });
      await this.#recordEvents(ctx, live, instance.id, [{ event: 'compute_build_and_run_instance', startTime: started, finishTime: new Date().toISOString(), result: 'Error', traceback: message, host: this.#o.host, details: null }], !reschedule);
      if (reschedule) {
        await this.#o.scheduler.buildInstances(ctx, { instanceIds: [instance.id], spec: args.spec, attempt: args.attempt + 1, excludedHosts: args.triedHosts, authToken: token, lastFailure: message });
      }
    } finally {
      this.#events.delete(instance.id);
    }
  }

  /** A port as the hypervisor gets it, with neutron's binding when this host plugged it. */
  #guestPort(p: NetworkInfo): GuestSpec['ports'][number] {
    const binding = this.#bindings.get(p.portId);
    return { portId: p.portId, macAddress: p.macAddress, networkId: p.networkId, ips: p.ips.filter((i) => i.type === 'fixed').map((i) => i.address), ...(binding !== undefined ? { binding } : {}) };
  }

  /**
   * The guest's ports with their bindings for a respawn of a guest built earlier (rebuild: the
   * only action that hands the hypervisor ports again; the power actions, resize and rescue
   * restart the guest from the definition the driver keeps). Bindings this process has not seen
   * (it restarted since the build) are read back from neutron, so the guest gets its taps on the
   * right bridges again instead of falling back to the driver's user-mode networking.
   */
  async #guestPorts(token: string, rid: string | undefined, ports: readonly NetworkInfo[]): Promise<GuestSpec['ports']> {
    for (const p of ports) {
      if (this.#bindings.has(p.portId)) continue;
      const port = await this.#o.networks.boundPort(token, p.portId, rid);
      if (port === undefined) continue;
      const network = await this.#o.networks.getNetwork(token, port.networkId, rid);
      this.#rememberBinding(port, network);
    }
    return ports.map((p) => this.#guestPort(p));
  }

  /**
   * The guest's attached volumes for a respawn (rebuild), each with the connection info cinder keeps
   * for its attachment: a volume-backed server gets its root volume back (boot index 0), any server
   * its data volumes on the same devices.
   */
  async #guestVolumes(ctx: RpcContext, token: string, instance: Instance): Promise<GuestSpec['volumes'][number][]> {
    const boot = instance.blockDevices.find((b) => b.bootIndex === 0 && b.destinationType === 'volume');
    const bootDevice = boot === undefined ? undefined : (boot.deviceName ?? '/dev/vda');
    const out: GuestSpec['volumes'][number][] = [];
    for (const a of await this.#o.conductor.attachmentList(ctx, { instanceId: instance.id })) {
      if (a.attachmentId === null) continue;
      const connection = await this.#o.volumes.connection(token, instance.projectId, a.attachmentId, ctx.globalRequestId);
      out.push({ volumeId: a.volumeId, device: a.device, bootIndex: a.device === bootDevice ? 0 : null, connection });
    }
    return out;
  }

  #rememberBinding(port: PortMeta, network: { readonly mtu?: number } | undefined): void {
    this.#bindings.set(port.id, { vifType: port.vifType ?? 'unbound', vifDetails: port.vifDetails ?? {}, ...(network?.mtu !== undefined ? { mtu: network.mtu } : {}) });
  }

  /** The hypervisor's spec of `instance`'s guest: its flavor's sizes, the image (null: none, or boot from volume), ports and volumes. */
  #guestSpec(instance: Instance, image: { readonly path: string | null; readonly format: 'qcow2' | 'raw'; readonly properties: Readonly<Record<string, unknown>> } | null, imageId: string | null, ports: GuestSpec['ports'], volumes: GuestSpec['volumes']): GuestSpec {
    return {
      instanceId: instance.id,
      name: instance.hostname,
      vcpus: instance.flavor.vcpus,
      memoryMb: instance.flavor.memoryMb,
      rootGb: instance.flavor.rootGb,
      imagePath: image?.path ?? null,
      imageId,
      imageFormat: image?.format ?? 'qcow2',
      ephemeralGb: instance.flavor.ephemeralGb,
      swapMb: instance.flavor.swap,
      extraSpecs: instance.flavor.extraSpecs,
      ports,
      volumes,
      userData: instance.userData,
      metadata: instance.metadata,
      keyData: instance.keyData,
      ...this.#guestExtras(instance, image?.properties),
    };
  }

  /** What a guest spec carries beyond sizes, ports and volumes: image properties, config drive, metadata fields. */
  #guestExtras(instance: Instance, imageProperties: Readonly<Record<string, unknown>> | undefined): Partial<GuestSpec> {
    const props: Record<string, string> = {};
    for (const [k, v] of Object.entries(imageProperties ?? {})) if (typeof v === 'string') props[k] = v;
    return {
      imageProperties: props,
      configDrive: ['true', '1', 'yes', 'on'].includes(instance.configDrive.toLowerCase()),
      displayName: instance.name,
      projectId: instance.projectId,
      availabilityZone: instance.availabilityZone ?? 'nova',
      keyName: instance.keyName,
      flavorName: instance.flavor.name,
    };
  }

  /** Steps 20–27: the image's metadata, then its data into the host's cache (once per image, verified). */
  async #fetchImage(trace: Trace, token: string, rid: string | undefined, instance: Instance): Promise<{ path: string | null; format: 'qcow2' | 'raw'; properties: Readonly<Record<string, unknown>> } | null> {
    if (instance.imageRef === '') return null;
    if (!(await this.#o.images.available(token))) return null;
    const image = await atStep(20, () =>
      trace.step(20, 'nova-compute', 'http', async () => {
        const m = await this.#o.images.find(token, instance.imageRef, rid);
        if (m === undefined) throw new Error(`Image ${instance.imageRef} could not be found.`);
        if (m.status !== 'active') throw new Error(`Image ${instance.imageRef} is not active.`);
        return m;
      }, `GET /v2/images/${instance.imageRef}`),
    );
    const format = image.diskFormat === 'raw' ? 'raw' : 'qcow2';
    const dir = this.#o.imageCacheDir;
    if (dir === null || image.size === null || image.size === 0) {
      mark(trace, 27, 'nova-compute', 'http', 'image metadata ready (no data to cache)');
      return { path: null, format, properties: image.properties };
    }
    const path = join(dir, image.id);
    const cached = await atStep(27, () =>
      trace.step(27, 'nova-compute', 'http', async () => {
        if (await cachedFileOk(path, image.size)) return path;
        let p = this.#imageFetches.get(image.id);
        if (p === undefined) {
          p = this.#o.images.download(token, image, path, rid).then(() => path);
          this.#imageFetches.set(image.id, p);
          void p.finally(() => this.#imageFetches.delete(image.id)).catch(() => undefined);
        }
        return p;
      }, `image ${image.id} in the host cache`),
    );
    return { path: cached, format, properties: image.properties };
  }

  /** Steps 28–38: create (or bind) and wait for each port; returns the network info. */
  async #allocateNetworks(trace: Trace, token: string, rid: string | undefined, instance: Instance, made: { ports: NetworkInfo[] }): Promise<NetworkInfo[]> {
    if (instance.networkInfo.length > 0) {
      // NOTE: an unshelve keeps its ports: bind them to this host again.
      const out: NetworkInfo[] = [];
      for (const p of instance.networkInfo) out.push({ ...(await this.#plugPort(trace, token, rid, instance, { portId: p.portId, networkId: p.networkId }, { ports: [] })), created: p.created });
      return out;
    }
    const requested = instance.requestedNetworks;
    if (requested === 'none' || requested === 'auto' || requested.length === 0) return [];
    const out: NetworkInfo[] = [];
    for (const req of requested) out.push(await this.#plugPort(trace, token, rid, instance, req, made));
    return out;
  }

  async #plugPort(trace: Trace | undefined, token: string, rid: string | undefined, instance: Instance, req: RequestedNetwork, made: { ports: NetworkInfo[] }): Promise<NetworkInfo> {
    const started = Date.now();
    const port: PortMeta = await atStep(28, async () => {
      const run = async (): Promise<PortMeta> => {
        if (req.portId !== undefined) return this.#o.networks.bindPort(token, req.portId, instance.id, this.#o.host, rid);
        if (req.networkId === undefined) throw new Error('a requested network has neither a network nor a port');
        return this.#o.networks.createPort(token, { networkId: req.networkId, instanceId: instance.id, host: this.#o.host, projectId: instance.projectId, ...(req.fixedIp !== undefined ? { fixedIp: req.fixedIp } : {}) }, rid);
      };
      return trace === undefined ? run() : trace.step(28, 'nova-compute', 'http', run, req.portId !== undefined ? `PUT /v2.0/ports/${req.portId}` : `POST /v2.0/ports on ${req.networkId}`);
    });
    const network = await this.#o.networks.getNetwork(token, port.networkId, rid);
    this.#rememberBinding(port, network);
    const info: NetworkInfo = {
      portId: port.id,
      networkId: port.networkId,
      networkName: network?.name ?? port.networkId,
      macAddress: port.macAddress,
      ips: port.fixedIps.map((i) => ({ address: i.ipAddress, version: i.ipAddress.includes(':') ? 6 : 4, type: 'fixed' as const })),
      created: req.portId === undefined,
      ...(req.tag !== undefined ? { tag: req.tag } : {}),
    };
    made.ports.push(info);
    await atStep(38, async () => {
      if (port.status !== 'ACTIVE' && this.#o.vifPluggingTimeoutMs > 0) await this.#waitForEvent(instance.id, `network-vif-plugged:${port.id}`, this.#o.vifPluggingTimeoutMs, port.id);
    });
    trace?.record({ step: 38, component: 'nova-compute', kind: 'http', startedAt: started, durationMs: Date.now() - started, outcome: 'ok', detail: `port ${port.id} ready (${info.ips.map((i) => i.address).join(', ') || 'no IP'})` });
    return info;
  }

  #waitForEvent(instanceId: string, key: string, timeoutMs: number, portId: string): Promise<void> {
    if (this.#events.get(instanceId)?.has(key) === true) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const wkey = `${instanceId}/${key}`;
      const timer = setTimeout(() => {
        this.#waiters.delete(wkey);
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for network-vif-plugged for port ${portId}`));
      }, timeoutMs);
      this.#waiters.set(wkey, () => {
        clearTimeout(timer);
        this.#waiters.delete(wkey);
        resolve();
      });
    });
  }

  /** Steps 39–50: volumes (existing, blank or from an image) and their attachments. */
  async #prepareVolumes(ctx: RpcContext, trace: Trace, token: string, rid: string | undefined, instance: Instance, made: { volumes: string[]; attachments: string[] }): Promise<GuestSpec['volumes'][number][]> {
    const bdms = instance.blockDevices.filter((b) => b.destinationType === 'volume');
    const out: GuestSpec['volumes'][number][] = [];
    let letter = 0;
    const sorted = [...bdms].sort((a, b) => (a.bootIndex ?? 99) - (b.bootIndex ?? 99));
    if (!sorted.some((b) => b.bootIndex === 0)) letter = 1;
    for (const bdm of sorted) {
      const device = bdm.deviceName ?? `/dev/vd${String.fromCharCode(97 + letter)}`;
      letter++;
      const started = Date.now();
      const volumeId = await atStep(39, () => trace.step(39, 'nova-compute', 'http', () => this.#volumeFor(token, rid, instance, bdm, made), `volume for ${device}`));
      const attached = await atStep(50, () => this.#o.volumes.attach(token, instance.projectId, volumeId, instance.id, this.#o.host, rid));
      made.attachments.push(attached.attachmentId);
      await this.#o.conductor.attachmentCreate(ctx, { instanceId: instance.id, volumeId, device, tag: bdm.tag ?? null, deleteOnTermination: bdm.deleteOnTermination, attachmentId: attached.attachmentId });
      trace.record({ step: 50, component: 'nova-compute', kind: 'http', startedAt: started, durationMs: Date.now() - started, outcome: 'ok', detail: `volume ${volumeId} attached as ${device}` });
      out.push({ volumeId, device, bootIndex: bdm.bootIndex, connection: attached.connection });
    }
    return out;
  }

  async #volumeFor(token: string, rid: string | undefined, instance: Instance, bdm: BlockDeviceRequest, made: { volumes: string[] }): Promise<string> {
    if (bdm.sourceType === 'volume') {
      if (bdm.uuid === undefined) throw new Error('a volume block device needs a uuid');
      return bdm.uuid;
    }
    if (bdm.sourceType === 'snapshot') throw new Error('volumes from snapshots are not supported');
    const size = bdm.volumeSize ?? instance.flavor.rootGb;
    const v = await this.#o.volumes.createAndWait(
      token,
      instance.projectId,
      { size: Math.max(1, size), name: '', ...(bdm.sourceType === 'image' && bdm.uuid !== undefined ? { imageRef: bdm.uuid } : {}), ...(bdm.volumeType !== undefined ? { volumeType: bdm.volumeType } : {}) },
      300_000,
      rid,
    );
    made.volumes.push(v.id);
    return v.id;
  }

  async #cleanupBuild(token: string, rid: string | undefined, instance: Instance, made: { ports: NetworkInfo[]; volumes: string[]; attachments: string[]; spawned: boolean }): Promise<void> {
    const quiet = async (fn: () => Promise<unknown>): Promise<void> => {
      try {
        await fn();
      } catch (err) {
        this.#o.logger.warn({ err, instanceId: instance.id }, 'cleanup after a failed build');
      }
    };
    await quiet(() => this.#o.hypervisor.destroy(instance.id));
    for (const a of made.attachments) await quiet(() => this.#o.volumes.detach(token, instance.projectId, a, rid));
    for (const v of made.volumes) await quiet(() => this.#o.volumes.delete(token, instance.projectId, v, rid));
    for (const p of made.ports) await quiet(() => this.#releasePort(token, rid, p));
  }

  /** A port leaves the guest: deleted when the build created it, else unbound (it is the user's); its binding is forgotten. */
  async #releasePort(token: string, rid: string | undefined, p: Pick<NetworkInfo, 'portId' | 'created'>): Promise<void> {
    this.#bindings.delete(p.portId);
    await (p.created ? this.#o.networks.deletePort(token, p.portId, rid) : this.#o.networks.unbindPort(token, p.portId, rid));
  }

  /** Store the steps not yet published and `extra` as events of the create action; `finish` ends the action. */
  async #recordEvents(ctx: RpcContext, live: LiveSteps, instanceId: string, extra: InstanceActionEvent[], finish: boolean): Promise<void> {
    // NOTE: the flow steps become events of the create action, so `server event show` tells the story.
    const steps = (await live.take()).map((e) => actionEventOf(e, this.#o.host));
    await this.#o.conductor.recordActionEvents(ctx, { instanceId, requestId: ctx.requestId, events: [...steps, ...extra], finish }).catch((err: unknown) => this.#o.logger.warn({ err, instanceId }, 'could not record action events'));
  }

  async terminateInstance(ctx: RpcContext, args: { instanceId: string; authToken: string }): Promise<void> {
    await this.#locks.run(args.instanceId, async () => {
      const token = args.authToken;
      const rid = ctx.globalRequestId;
      let instance: Instance;
      try {
        instance = await this.#o.conductor.instanceGetWithFlavor(ctx, { instanceId: args.instanceId });
      } catch {
        return;
      }
      const quiet = async (fn: () => Promise<unknown>): Promise<void> => {
        try {
          await fn();
        } catch (err) {
          this.#o.logger.warn({ err, instanceId: instance.id }, 'terminate: cleanup step failed');
        }
      };
      await quiet(() => this.#o.hypervisor.destroy(instance.id));
      for (const p of instance.networkInfo) await quiet(() => this.#releasePort(token, rid, p));
      const attachments = await this.#o.conductor.attachmentList(ctx, { instanceId: instance.id }).catch(() => []);
      for (const a of attachments) {
        if (a.attachmentId !== null) await quiet(() => this.#o.volumes.detach(token, instance.projectId, a.attachmentId as string, rid));
        if (a.deleteOnTermination) await quiet(() => this.#o.volumes.delete(token, instance.projectId, a.volumeId, rid));
      }
      await this.#o.conductor.instanceDestroy(ctx, { instanceId: instance.id });
    });
  }

  async runAction(ctx: RpcContext, args: { instanceId: string; action: PowerAction; authToken: string; extra?: Record<string, unknown> }): Promise<void> {
    await this.#locks.run(args.instanceId, async () => {
      const started = new Date().toISOString();
      const target = ACTION_STATES[args.action];
      if (target === undefined) return;
      const instance = await this.#o.conductor.instanceGetWithFlavor(ctx, { instanceId: args.instanceId });
      const hv = this.#o.hypervisor;
      const changes: MutableInstanceUpdate = { vmState: target.vmState, powerState: target.powerState, taskState: null };
      let error: Error | undefined;
      try {
        switch (args.action) {
          case 'stop':
            await hv.powerOff(instance.id);
            break;
          case 'shelve': {
            // NOTE: shelved_offload_time = 0, as nova's default: the guest leaves the host at once.
            if (instance.powerState !== PowerState.SHUTDOWN) await hv.powerOff(instance.id);
            if (typeof args.extra?.imageId === 'string') await this.#uploadSnapshot(args.authToken, ctx.globalRequestId, instance, args.extra.imageId).catch((err: unknown) => this.#o.logger.warn({ err }, 'shelve snapshot upload failed'));
            await hv.destroy(instance.id);
            for (const p of instance.networkInfo) {
              await this.#o.networks.unbindPort(args.authToken, p.portId, ctx.globalRequestId).catch(() => undefined);
              this.#bindings.delete(p.portId);
            }
            await this.#o.conductor.instanceOffload(ctx, { instanceId: instance.id });
            await this.#o.conductor.recordActionEvents(ctx, { instanceId: instance.id, requestId: ctx.requestId, events: [{ event: target.event, startTime: started, finishTime: new Date().toISOString(), result: 'Success', traceback: null, host: this.#o.host, details: null }], finish: true });
            return;
          }
          case 'start':
            await hv.powerOn(instance.id);
            break;
          case 'rescue':
          case 'unrescue':
            await hv.reboot(instance.id, 'HARD');
            break;
          case 'reboot_soft':
            await hv.reboot(instance.id, 'SOFT');
            break;
          case 'reboot_hard':
            await hv.reboot(instance.id, 'HARD');
            break;
          case 'pause':
            await hv.pause(instance.id);
            break;
          case 'unpause':
            await hv.unpause(instance.id);
            break;
          case 'suspend':
            await hv.suspend(instance.id);
            break;
          case 'resume':
            await hv.resume(instance.id);
            break;
          case 'rebuild': {
            if (instance.vmState === 'stopped') Object.assign(changes, { vmState: 'stopped', powerState: PowerState.SHUTDOWN });
            // NOTE: the ports (with the bindings neutron gives back), the volumes and the image before the guest goes: if neutron, cinder or glance cannot answer, the guest stays.
            const ports = await this.#guestPorts(args.authToken, ctx.globalRequestId, instance.networkInfo);
            const volumes = await this.#guestVolumes(ctx, args.authToken, instance);
            const imageRef = typeof args.extra?.imageRef === 'string' ? args.extra.imageRef : instance.imageRef;
            // A volume-backed server boots from its root volume again, not from a local copy of the image.
            const volumeBacked = volumes.some((v) => v.bootIndex === 0);
            const image = volumeBacked ? null : await this.#fetchImage(traceOf(this.#o.tracer, ctx), args.authToken, ctx.globalRequestId, { ...instance, imageRef });
            await hv.destroy(instance.id);
            await hv.spawn(this.#guestSpec(instance, image, imageRef, ports, volumes));
            changes.launchedAt = new Date().toISOString();
            if (instance.vmState === 'stopped') await hv.powerOff(instance.id);
            break;
          }
          case 'resize':
            if (hv.resize !== undefined && instance.newFlavor !== null) {
              const f = instance.newFlavor;
              await hv.resize(instance.id, { vcpus: f.vcpus, memoryMb: f.memoryMb, rootGb: f.rootGb, ephemeralGb: f.ephemeralGb, swapMb: f.swap, extraSpecs: f.extraSpecs }, instance.vmState !== 'stopped');
            } else if (instance.vmState === 'active') {
              await hv.powerOff(instance.id);
              await hv.powerOn(instance.id);
            }
            if (instance.newFlavor !== null) Object.assign(changes, { oldFlavor: instance.flavor, flavor: instance.newFlavor, newFlavor: null });
            break;
          case 'confirm_resize':
            await hv.confirmResize?.(instance.id);
            Object.assign(changes, { oldFlavor: null, newFlavor: null });
            break;
          case 'revert_resize':
            await hv.revertResize?.(instance.id);
            if (instance.oldFlavor !== null) Object.assign(changes, { flavor: instance.oldFlavor, oldFlavor: null, newFlavor: null });
            break;
        }
        if (args.action === 'resize' || args.action === 'revert_resize' || args.action === 'confirm_resize') {
          if (instance.vmState === 'stopped' && args.action !== 'resize') changes.vmState = 'stopped';
        }
      } catch (err) {
        error = err as Error;
        Object.assign(changes, { vmState: instance.vmState, powerState: instance.powerState, taskState: null });
      }
      await this.#o.conductor.instanceUpdate(ctx, { instanceId: instance.id, changes });
      await this.#o.conductor.recordActionEvents(ctx, {
        instanceId: instance.id,
        requestId: ctx.requestId,
        events: [{ event: target.event, startTime: started, finishTime: new Date().toISOString(), result: error === undefined ? 'Success' : 'Error', traceback: error?.message ?? null, host: this.#o.host, details: null }],
        finish: true,
      });
    });
  }

  async getConsoleOutput(_ctx: RpcContext, args: { instanceId: string; length: number | null }): Promise<string> {
    const text = await this.#o.hypervisor.consoleOutput(args.instanceId).catch(() => '');
    // NOTE: nova's tail: the last `length` pieces of the text split on newlines.
    if (args.length === null) return text;
    return args.length === 0 ? '' : text.split('\n').slice(-args.length).join('\n');
  }

  async getVncConsole(_ctx: RpcContext, args: { instanceId: string }): Promise<{ host: string; port: number }> {
    const hv = this.#o.hypervisor;
    if (hv.vncConsole === undefined) throw new BadRequest('Unavailable console type vnc.', {}, 'ConsoleTypeUnavailable');
    const a = await hv.vncConsole(args.instanceId);
    return { host: a.host, port: a.port };
  }

  async #uploadSnapshot(token: string, rid: string | undefined, instance: Instance, imageId: string): Promise<void> {
    if (await this.#uploadGuestDisk(token, rid, instance, imageId)) return;
    let data = Buffer.from(`strata fake snapshot of ${instance.id}\n`);
    if (this.#o.imageCacheDir !== null && instance.imageRef !== '') data = await readFile(join(this.#o.imageCacheDir, instance.imageRef)).catch(() => data);
    await this.#o.images.upload(token, imageId, data, rid);
  }

  /**
   * createImage with a hypervisor that snapshots: the guest's root disk copied (`qemu-img convert`)
   * to a scratch file in the format glance's record asks for, then streamed to glance. False when
   * the hypervisor cannot (the caller falls back to the cached base image).
   */
  async #uploadGuestDisk(token: string, rid: string | undefined, instance: Instance, imageId: string): Promise<boolean> {
    const hv = this.#o.hypervisor;
    if (hv.snapshot === undefined || this.#o.imageCacheDir === null || !this.#o.hypervisor.capabilities.supportsSnapshot) return false;
    const meta = await this.#o.images.find(token, imageId, rid);
    const format = meta?.diskFormat === 'raw' ? 'raw' : 'qcow2';
    const dir = join(this.#o.imageCacheDir, '_snapshots');
    await mkdir(dir, { recursive: true });
    const path = join(dir, `${imageId}.${format}`);
    await rm(path, { force: true });
    try {
      const { size } = await hv.snapshot(instance.id, path, format);
      this.#o.logger.info({ instanceId: instance.id, imageId, format, size }, 'snapshot taken; uploading to glance');
      await this.#o.images.uploadStream(token, imageId, createReadStream(path), rid);
    } finally {
      await rm(path, { force: true });
    }
    return true;
  }

  async snapshotInstance(ctx: RpcContext, args: { instanceId: string; imageId: string; authToken: string }): Promise<void> {
    await this.#locks.run(args.instanceId, async () => {
      const instance = await this.#o.conductor.instanceGetWithFlavor(ctx, { instanceId: args.instanceId });
      let result = 'Success';
      try {
        await this.#uploadSnapshot(args.authToken, ctx.globalRequestId, instance, args.imageId);
      } catch (err) {
        result = 'Error';
        this.#o.logger.warn({ err, instanceId: instance.id }, 'snapshot upload failed');
      }
      await this.#o.conductor.instanceUpdate(ctx, { instanceId: instance.id, changes: { taskState: null } });
      await this.#o.conductor.recordActionEvents(ctx, { instanceId: instance.id, requestId: ctx.requestId, events: [{ event: 'compute_snapshot_instance', startTime: new Date().toISOString(), finishTime: new Date().toISOString(), result, traceback: null, host: this.#o.host, details: null }], finish: true });
    });
  }

  async attachVolume(ctx: RpcContext, args: { instanceId: string; volumeId: string; device: string; tag: string | null; deleteOnTermination: boolean; authToken: string }): Promise<void> {
    await this.#locks.run(args.instanceId, async () => {
      const instance = await this.#o.conductor.instanceGetWithFlavor(ctx, { instanceId: args.instanceId });
      const attached = await this.#o.volumes.attach(args.authToken, instance.projectId, args.volumeId, instance.id, this.#o.host, ctx.globalRequestId);
      try {
        await this.#o.hypervisor.attachVolume(instance.id, { volumeId: args.volumeId, device: args.device, bootIndex: null, connection: attached.connection });
      } catch (err) {
        await this.#o.volumes.detach(args.authToken, instance.projectId, attached.attachmentId, ctx.globalRequestId).catch(() => undefined);
        throw err;
      }
      await this.#o.conductor.attachmentCreate(ctx, { instanceId: instance.id, volumeId: args.volumeId, device: args.device, tag: args.tag, deleteOnTermination: args.deleteOnTermination, attachmentId: attached.attachmentId });
    });
  }

  async detachVolume(ctx: RpcContext, args: { instanceId: string; volumeId: string; authToken: string }): Promise<void> {
    await this.#locks.run(args.instanceId, async () => {
      const instance = await this.#o.conductor.instanceGetWithFlavor(ctx, { instanceId: args.instanceId });
      const a = (await this.#o.conductor.attachmentList(ctx, { instanceId: instance.id })).find((x) => x.volumeId === args.volumeId);
      await this.#o.hypervisor.detachVolume(instance.id, args.volumeId, a?.device ?? '').catch(() => undefined);
      if (a?.attachmentId != null) await this.#o.volumes.detach(args.authToken, instance.projectId, a.attachmentId, ctx.globalRequestId).catch((err: unknown) => this.#o.logger.warn({ err }, 'detach failed'));
      await this.#o.conductor.attachmentDelete(ctx, { instanceId: instance.id, volumeId: args.volumeId });
    });
  }

  async attachInterface(ctx: RpcContext, args: { instanceId: string; networkId: string | null; portId: string | null; fixedIp: string | null; authToken: string }): Promise<{ portId: string }> {
    return this.#locks.run(args.instanceId, async () => {
      const instance = await this.#o.conductor.instanceGetWithFlavor(ctx, { instanceId: args.instanceId });
      const made = { ports: [] as NetworkInfo[] };
      const req: RequestedNetwork = { ...(args.networkId !== null ? { networkId: args.networkId } : {}), ...(args.portId !== null ? { portId: args.portId } : {}), ...(args.fixedIp !== null ? { fixedIp: args.fixedIp } : {}) };
      const info = await this.#plugPort(undefined, args.authToken, ctx.globalRequestId, instance, req, made);
      await this.#o.hypervisor.attachInterface(instance.id, this.#guestPort(info));
      await this.#o.conductor.instanceUpdate(ctx, { instanceId: instance.id, changes: { networkInfo: [...instance.networkInfo, info] } });
      return { portId: info.portId };
    });
  }

  async detachInterface(ctx: RpcContext, args: { instanceId: string; portId: string; authToken: string }): Promise<void> {
    await this.#locks.run(args.instanceId, async () => {
      const instance = await this.#o.conductor.instanceGetWithFlavor(ctx, { instanceId: args.instanceId });
      const p = instance.networkInfo.find((x) => x.portId === args.portId);
      await this.#o.hypervisor.detachInterface(instance.id, args.portId).catch(() => undefined);
      if (p !== undefined) await this.#releasePort(args.authToken, ctx.globalRequestId, p);
      await this.#o.conductor.instanceUpdate(ctx, { instanceId: instance.id, changes: { networkInfo: instance.networkInfo.filter((x) => x.portId !== args.portId) } });
    });
  }

  async externalInstanceEvent(_ctx: RpcContext, args: { instanceId: string; events: ExternalEvent[] }): Promise<void> {
    for (const e of args.events) {
      const key = `${e.name}:${e.tag ?? ''}`;
      let seen = this.#events.get(args.instanceId);
      if (seen === undefined) {
        seen = new Set();
        this.#events.set(args.instanceId, seen);
        // NOTE: forget early events after a while, so events for builds that never wait do not pile up.
        setTimeout(() => this.#events.delete(args.instanceId), 600_000).unref();
      }
      seen.add(key);
      this.#waiters.get(`${args.instanceId}/${key}`)?.();
    }
  }
}
