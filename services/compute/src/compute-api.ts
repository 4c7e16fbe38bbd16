/**
 * ComputeApi: what nova/compute/api.py does — checks, quota, DB writes (steps 6–7), then RPC
 * (step 8 and the lifecycle casts). Routes call it; it never renders JSON.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { RequestContext } from '@strata/auth';
import { BadRequest, Conflict, Forbidden, NotFound, OpenStackError } from '@strata/errors';
import type { Logger } from '@strata/log';
import type { RpcContext } from '@strata/rpc';
import type { Tracer } from '@strata/trace';
import { nowIso } from '@strata/db';
import type { ComputeDatabase } from './db/schema.js';
import { InstanceStore, newInstanceId, type BlockDeviceRequest, type Instance, type InstanceUpdate, type NewInstance, type RequestedNetwork } from './objects/instance.js';
import { FlavorStore, snapshotOf, type Flavor } from './objects/flavor.js';
import { KeypairStore } from './objects/keypair.js';
import { QuotaStore, type QuotaLimits } from './objects/quota.js';
import { ServiceStore, serviceIsUp } from './objects/service-record.js';
import { InstanceActionStore } from './objects/instance-action.js';
import { ServerGroupStore } from './objects/server-group.js';
import { VolumeAttachmentStore } from './objects/volume-attachment.js';
import { AggregateStore } from './objects/aggregate.js';
import type { SchedulerRpcClient } from './scheduler/scheduler-rpc.js';
import type { ComputeRpcClient, PowerAction } from './agent/compute-rpc.js';
import type { ImageMeta, ImageService } from './clients/image-service.js';
import type { NetworkService } from './clients/network-service.js';
import type { VolumeService } from './clients/volume-service.js';

/** A create request after schema validation, in camelCase. */
export interface CreateServerRequest {
  readonly name: string;
  readonly description: string | null;
  readonly imageRef: string;
  readonly flavorRef: string;
  readonly networks: readonly RequestedNetwork[] | 'auto' | 'none' | undefined;
  readonly blockDevices: readonly BlockDeviceRequest[];
  readonly keyName: string | null;
  readonly userData: string | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly securityGroups: readonly string[];
  readonly availabilityZone: string | null;
  readonly minCount: number;
  readonly maxCount: number;
  readonly configDrive: boolean;
  readonly accessIpV4: string;
  readonly accessIpV6: string;
  readonly schedulerHints: Readonly<Record<string, unknown>>;
  readonly tags: readonly string[];
  readonly adminPass: string | null;
  readonly diskConfig: string;
  /** 2.90: the guest hostname asked for (otherwise made from the name). */
  readonly hostname?: string;
  /** 2.63: trusted_image_certificates. */
  readonly trustedCerts?: readonly string[];
  /** 2.74: host / hypervisor_hostname (admin). */
  readonly requestedHost?: string;
  readonly requestedNode?: string;
}

/** Options of ComputeApi. */
export interface ComputeApiOptions {
  readonly db: Kysely<ComputeDatabase>;
  readonly scheduler: SchedulerRpcClient;
  readonly compute: ComputeRpcClient;
  readonly images: ImageService;
  readonly networks: NetworkService;
  readonly volumes: VolumeService;
  readonly tracer: Tracer;
  readonly logger: Logger;
  readonly quotaDefaults: QuotaLimits;
  readonly defaultAvailabilityZone: string;
  readonly serviceDownTimeMs: number;
}

/** The states an action may start from (nova's check_instance_state). */
const ALLOWED: Readonly<Record<string, { vm: readonly string[]; task?: ReadonlyArray<string | null> }>> = {
  stop: { vm: ['active', 'error'], task: [null] },
  start: { vm: ['stopped'], task: [null] },
  reboot: { vm: ['active', 'stopped', 'paused', 'suspended', 'error'] },
  pause: { vm: ['active'], task: [null] },
  unpause: { vm: ['paused'], task: [null] },
  suspend: { vm: ['active'], task: [null] },
  resume: { vm: ['suspended'], task: [null] },
  shelve: { vm: ['active', 'stopped', 'paused', 'suspended'], task: [null] },
  unshelve: { vm: ['shelved', 'shelved_offloaded'], task: [null] },
  rebuild: { vm: ['active', 'stopped', 'error'], task: [null] },
  resize: { vm: ['active', 'stopped'], task: [null] },
  confirmResize: { vm: ['resized'], task: [null] },
  revertResize: { vm: ['resized'], task: [null] },
  createImage: { vm: ['active', 'stopped', 'paused', 'suspended'], task: [null] },
  rescue: { vm: ['active', 'stopped', 'error'], task: [null] },
  unrescue: { vm: ['rescued'], task: [null] },
  lock: { vm: ['active', 'stopped', 'paused', 'suspended', 'error', 'shelved', 'shelved_offloaded', 'resized', 'building', 'rescued'] },
};

/** The API name of an action, as nova's InstanceInvalidState messages say it. */
const ACTION_NAMES: Readonly<Record<string, string>> = { confirmResize: 'confirmResize', revertResize: 'revertResize', createImage: 'createImage' };

/** The business rules of the compute API. */
export class ComputeApi {
  readonly instances: InstanceStore;
  readonly flavors: FlavorStore;
  readonly keypairs: KeypairStore;
  readonly quotas: QuotaStore;
  readonly services: ServiceStore;
  readonly actions: InstanceActionStore;
  readonly groups: ServerGroupStore;
  readonly attachments: VolumeAttachmentStore;
  readonly aggregates: AggregateStore;
  readonly tracer: Tracer;
  readonly images: ImageService;
  readonly networks: NetworkService;
  readonly volumes: VolumeService;
  readonly defaultAvailabilityZone: string;
  readonly serviceDownTimeMs: number;
  readonly #o: ComputeApiOptions;

  constructor(o: ComputeApiOptions) {
    this.#o = o;
    this.instances = new InstanceStore(o.db);
    this.flavors = new FlavorStore(o.db);
    this.keypairs = new KeypairStore(o.db);
    this.quotas = new QuotaStore(o.db, o.quotaDefaults);
    this.services = new ServiceStore(o.db);
    this.actions = new InstanceActionStore(o.db);
    this.groups = new ServerGroupStore(o.db);
    this.attachments = new VolumeAttachmentStore(o.db);
    this.aggregates = new AggregateStore(o.db);
    this.tracer = o.tracer;
    this.images = o.images;
    this.networks = o.networks;
    this.volumes = o.volumes;
    this.defaultAvailabilityZone = o.defaultAvailabilityZone;
    this.serviceDownTimeMs = o.serviceDownTimeMs;
  }

  /** The RPC context of a request: its ids, roles and trace id. */
  rpcContext(ctx: RequestContext): RpcContext {
    return { ...ctx.toRpc(), trace: { traceId: ctx.globalRequestId ?? ctx.requestId } };
  }

  /** A flavor the caller may use; 404 FlavorNotFound for a private flavor without access. */
  async visibleFlavor(ctx: RequestContext, id: string): Promise<Flavor> {
    const f = await this.flavors.get(id);
    if (!f.isPublic && !ctx.isAdmin && ctx.projectId !== undefined && !(await this.flavors.accessibleTo(ctx.projectId)).has(f.id)) {
      throw new NotFound(`Flavor ${id} could not be found.`, { flavorId: id }, 'FlavorNotFound');
    }
    return f;
  }

  /** The server; 404 when missing or owned by another project (unless admin). */
  async getServer(ctx: RequestContext, id: string, opts: { includeDeleted?: boolean } = {}): Promise<Instance> {
    const i = await this.instances.find(id, opts);
    if (i === undefined || (!ctx.isAdmin && i.projectId !== ctx.projectId)) throw new NotFound(`Instance ${id} could not be found.`, { instanceId: id }, 'InstanceNotFound');
    return i;
  }

  /** host → availability zone: an aggregate's zone, else the zone the host reports. */
  async hostZones(): Promise<Map<string, string>> {
    const byAggregate = await this.aggregates.zoneByHost();
    const out = new Map<string, string>();
    for (const n of await this.services.listNodes()) out.set(n.host, byAggregate.get(n.host) ?? n.availabilityZone);
    return out;
  }

  /** host → UP / DOWN / MAINTENANCE for host_status (2.16). */
  async hostStatuses(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const s of await this.services.listServices({ binary: 'nova-compute' })) {
      out.set(s.host, s.forcedDown || !serviceIsUp(s, this.serviceDownTimeMs) ? 'DOWN' : s.disabled ? 'MAINTENANCE' : 'UP');
    }
    return out;
  }

  /**
   * POST /servers: validate against flavor, image, networks, volumes and key pair; claim quota;
   * write the instances (steps 6–7); cast to the scheduler (step 8). Returns the new instances.
   */
  async createServers(ctx: RequestContext, req: CreateServerRequest, opts: { networksRequired: boolean }): Promise<{ instances: Instance[]; reservationId: string }> {
    const trace = this.tracer.begin(ctx.globalRequestId ?? ctx.requestId);
    const projectId = ctx.projectId;
    if (projectId === undefined) throw new Forbidden('A project-scoped token is required to create servers.');
    const token = ctx.authToken;
    const rid = ctx.globalRequestId;

    // Flavor (a missing flavor is a 400 in create, as nova answers).
    let flavor: Flavor;
    try {
      flavor = await this.visibleFlavor(ctx, req.flavorRef);
    } catch (err) {
      if (err instanceof OpenStackError && err.status === 404) throw new BadRequest(`Flavor ${req.flavorRef} could not be found.`, {}, 'FlavorNotFound');
      throw err;
    }
    if (flavor.disabled) throw new BadRequest(`Flavor ${flavor.id} is disabled.`, {}, 'FlavorDisabled');

    // Image, unless booting from a volume.
    const bootFromVolume = req.blockDevices.some((b) => b.bootIndex === 0 && b.destinationType === 'volume');
    let image: ImageMeta | undefined;
    let imageRef = req.imageRef;
    const bootImageBdm = req.blockDevices.find((b) => b.bootIndex === 0 && b.sourceType === 'image' && b.destinationType === 'local');
    if (imageRef === '' && bootImageBdm?.uuid !== undefined) imageRef = bootImageBdm.uuid;
    if (imageRef === '' && !bootFromVolume) throw new BadRequest('Block Device Mapping is Invalid: Boot sequence for the instance and image/block device mapping combination is not valid.', {}, 'InvalidBDMBootSequence');
    if (imageRef !== '' && !bootFromVolume) {
      const imageId = imageRef.split('/').pop() ?? imageRef;
      if (!/^[0-9a-f-]{36}$/i.test(imageId)) throw new BadRequest(`Invalid imageRef provided.`, {}, 'InvalidImageRef');
      imageRef = imageId;
      if (await this.images.available(token)) {
        image = await this.images.find(token, imageId, rid);
        if (image === undefined) throw new BadRequest(`Image ${imageId} could not be found.`, {}, 'ImageNotFound');
        if (image.status !== 'active') throw new BadRequest(`Image ${imageId} is not active.`, {}, 'ImageNotActive');
        if (image.minRam > flavor.memoryMb) throw new BadRequest("Flavor's memory is too small for requested image.", {}, 'FlavorMemoryTooSmall');
        const minDiskGb = Math.max(image.minDisk, image.size !== null ? Math.ceil(image.size / 1024 ** 3) : 0);
        if (flavor.rootGb > 0 && minDiskGb > flavor.rootGb) throw new BadRequest("Flavor's disk is too small for requested image.", {}, 'FlavorDiskSmallerThanImage');
      }
    } else if (bootFromVolume) {
      imageRef = '';
    }

    // Networks.
    const networks = await this.#resolveNetworks(ctx, req.networks, opts.networksRequired);
    if (networks !== 'none' && networks.length > 0 && req.maxCount > 1 && networks.some((n) => n.portId !== undefined)) {
      throw new BadRequest('Unable to launch multiple instances with a single configured port ID. Please launch your instance one by one with different ports.', {}, 'MultiplePortsNotApplicable');
    }

    // Security groups must exist (by name or id) in the project.
    if (req.securityGroups.length > 0 && (await this.networks.available(token))) {
      const groups = (await this.networks.raw<{ security_groups: Array<{ id: string; name: string }> }>(token, 'GET', `/security-groups?project_id=${projectId}`, undefined, rid)).security_groups;
      for (const name of req.securityGroups) {
        if (!groups.some((g) => g.name === name || g.id === name)) throw new BadRequest(`Security group ${name} not found for project ${projectId}.`, {}, 'SecurityGroupNotFound');
      }
    }

    // Volumes.
    if (req.blockDevices.some((b) => b.destinationType === 'volume')) {
      if (!(await this.volumes.available(token, projectId))) throw new BadRequest('Block Device Mapping is Invalid: no volume service is available.', {}, 'InvalidBDM');
      for (const b of req.blockDevices) {
        if (b.sourceType === 'volume' && b.destinationType === 'volume') {
          if (b.uuid === undefined) throw new BadRequest('Block Device Mapping is Invalid: a volume needs a uuid.', {}, 'InvalidBDM');
          const v = await this.volumes.find(token, projectId, b.uuid, rid);
          if (v === undefined) throw new BadRequest(`Block Device Mapping is Invalid: failed to get volume ${b.uuid}.`, {}, 'InvalidBDMVolume');
          if (v.status !== 'available' && !v.multiattach) throw new BadRequest(`Block Device Mapping is Invalid: volume ${b.uuid} is not available (status ${v.status}).`, {}, 'InvalidBDMVolume');
          if (b.bootIndex === 0 && !v.bootable) throw new BadRequest(`Block Device Mapping is Invalid: Volume ${b.uuid} is not bootable.`, {}, 'InvalidBDMVolumeNotBootable');
        }
        if (b.sourceType === 'blank' && b.destinationType === 'volume' && (b.volumeSize === undefined || b.volumeSize <= 0)) throw new BadRequest('Block Device Mapping is Invalid: a blank volume needs a volume_size.', {}, 'InvalidBDM');
      }
    }

    // Key pair.
    let keyData: string | null = null;
    if (req.keyName !== null) {
      try {
        keyData = (await this.keypairs.get(ctx.userId, req.keyName)).publicKey;
      } catch {
        throw new BadRequest('Invalid key_name provided.', {}, 'KeypairNotFound');
      }
    }

    // Availability zone ("az", "az:host", "az::node" for admins).
    let az: string | null = null;
    let forceHost: string | null = null;
    if (req.availabilityZone !== null && req.availabilityZone !== '') {
      const [zone, host] = req.availabilityZone.split(':', 2);
      az = zone === '' || zone === undefined ? null : zone;
      if (host !== undefined && host !== '') {
        ctx.authorize('os_compute_api:servers:create:forced_host', { projectId });
        forceHost = host;
      }
      if (az !== null) {
        const zones = new Set((await this.hostZones()).values());
        if (!zones.has(az)) throw new BadRequest(`The requested availability zone is not available`, {}, 'InvalidRequest');
      }
    }

    // 2.74: a requested host / node must exist (a compute host; its node).
    if (req.requestedHost !== undefined || req.requestedNode !== undefined) {
      const nodes = await this.services.listNodes();
      if (req.requestedHost !== undefined && !nodes.some((n) => n.host === req.requestedHost)) throw new BadRequest(`Compute host ${req.requestedHost} could not be found.`, {}, 'ComputeHostNotFound');
      if (req.requestedNode !== undefined && !nodes.some((n) => n.hypervisorHostname === req.requestedNode && (req.requestedHost === undefined || n.host === req.requestedHost))) {
        throw new BadRequest(`Compute node hypervisor hostname ${req.requestedNode} could not be found.`, {}, 'ComputeNodeNotFoundByHypervisorHostname');
      }
      forceHost ??= req.requestedHost ?? nodes.find((n) => n.hypervisorHostname === req.requestedNode)?.host ?? null;
    }

    // Server group (scheduler hint "group").
    let groupId: string | null = null;
    const hintGroup = req.schedulerHints.group;
    if (typeof hintGroup === 'string') {
      const g = await this.groups.get(hintGroup).catch(() => undefined);
      if (g === undefined) throw new BadRequest(`Invalid server group ${hintGroup}`, {}, 'InstanceGroupNotFound');
      const limits = await this.quotas.limits(projectId);
      if (limits.server_group_members >= 0 && g.members.length + req.minCount > limits.server_group_members) throw new Forbidden('Quota exceeded, too many servers in group', {}, 'OverQuota');
      groupId = g.id;
    }

    // Metadata quota.
    const limits = await this.quotas.limits(projectId);
    if (limits.metadata_items >= 0 && Object.keys(req.metadata).length > limits.metadata_items) throw new Forbidden(`Quota exceeded for metadata_items: Requested ${Object.keys(req.metadata).length}, but already used 0 of ${limits.metadata_items} metadata_items`, {}, 'OverQuota');

    // Quota: try max_count, then fewer down to min_count (nova's _check_num_instances_quota).
    let count = req.maxCount;
    for (;;) {
      try {
        await this.quotas.claim(projectId, { instances: count, cores: flavor.vcpus * count, ram: flavor.memoryMb * count });
        break;
      } catch (err) {
        if (count <= req.minCount) throw err;
        count--;
      }
    }

    const reservationId = `r-${randomBytes(4).toString('hex')}`;
    const requestedNetworks: Instance['requestedNetworks'] = networks === 'none' ? 'none' : networks;
    const news: NewInstance[] = [];
    for (let n = 0; n < count; n++) {
      const name = count > 1 ? `${req.name}-${n + 1}` : req.name;
      news.push({
        id: newInstanceId(),
        projectId,
        userId: ctx.userId,
        name,
        description: req.description,
        hostname: req.hostname ?? hostnameOf(name),
        host: null,
        node: null,
        availabilityZone: az,
        flavor: snapshotOf(flavor),
        newFlavor: null,
        oldFlavor: null,
        imageRef,
        vmState: 'building',
        taskState: 'scheduling',
        powerState: 0,
        keyName: req.keyName,
        keyData,
        userData: req.userData,
        metadata: req.metadata,
        tags: req.tags,
        configDrive: req.configDrive ? 'True' : '',
        accessIpV4: req.accessIpV4,
        accessIpV6: req.accessIpV6,
        reservationId,
        launchIndex: n,
        locked: false,
        lockedBy: null,
        lockedReason: null,
        requestedNetworks,
        blockDevices: req.blockDevices,
        securityGroups: req.securityGroups.length > 0 ? req.securityGroups : ['default'],
        schedulerHints: req.schedulerHints,
        networkInfo: [],
        fault: null,
        serverGroupId: groupId,
        rootDeviceName: null,
        progress: 0,
        diskConfig: req.diskConfig,
        systemMetadata: req.trustedCerts !== undefined && req.trustedCerts.length > 0 ? { trusted_image_certificates: JSON.stringify(req.trustedCerts) } : {},
      });
    }
    let created: Instance[];
    try {
      created = await trace.step(6, 'nova-api', 'db', () => this.#o.db.transaction().execute((trx) => this.instances.create(news, trx)), `${count} instance row(s) written`);
    } catch (err) {
      await this.quotas.release(projectId, { instances: count, cores: flavor.vcpus * count, ram: flavor.memoryMb * count });
      throw err;
    }
    trace.record({ step: 7, component: 'nova-api', kind: 'db', startedAt: Date.now(), durationMs: 0, outcome: 'ok', detail: 'DB confirmed' });
    if (groupId !== null) await this.groups.addMembers(groupId, created.map((i) => i.id));
    for (const i of created) await this.actions.start({ instanceId: i.id, requestId: ctx.requestId, action: 'create', projectId, userId: ctx.userId });
    const rpcCtx = this.rpcContext(ctx);
    await trace.step(8, 'nova-api', 'rpc', () =>
      this.#o.scheduler.buildInstances(rpcCtx, {
        instanceIds: created.map((i) => i.id),
        spec: { projectId, flavor: snapshotOf(flavor), imageRef, imageProperties: image?.properties ?? {}, availabilityZone: az, forceHost, serverGroupId: groupId },
        attempt: 1,
        excludedHosts: [],
        authToken: token,
      }),
      'build request cast to the scheduler',
    );
    return { instances: created, reservationId };
  }

  /** Turn `networks` into what the build uses: port/network requests, or 'none'. */
  async #resolveNetworks(ctx: RequestContext, networks: CreateServerRequest['networks'], required: boolean): Promise<RequestedNetwork[] | 'none'> {
    if (networks === undefined && required) throw new BadRequest("Invalid input for field/attribute server. Value: networks is a required property", {}, 'ValidationError');
    if (networks === 'none') return 'none';
    const token = ctx.authToken;
    const rid = ctx.globalRequestId;
    const neutron = await this.networks.available(token);
    if (networks === undefined || networks === 'auto') {
      if (!neutron) return 'none';
      const usable = await this.networks.usableNetworks(token, ctx.projectId ?? '', rid);
      const first = usable[0];
      return first === undefined ? 'none' : [{ networkId: first.id }];
    }
    if (networks.length === 0) return 'none';
    const out: RequestedNetwork[] = [];
    for (const n of networks) {
      if (!neutron) throw new BadRequest(`Network ${n.networkId ?? n.portId ?? ''} could not be found.`, {}, 'NetworkNotFound');
      if (n.portId !== undefined) {
        const p = await this.networks.getPort(token, n.portId, rid);
        if (p === undefined) throw new BadRequest(`Port id ${n.portId} could not be found.`, {}, 'PortNotFound');
        if (p.deviceId !== '') throw new Conflict(`Port ${n.portId} is still in use.`, {}, 'PortInUse');
        out.push({ portId: p.id, networkId: p.networkId, ...(n.tag !== undefined ? { tag: n.tag } : {}) });
      } else if (n.networkId !== undefined) {
        const net = await this.networks.getNetwork(token, n.networkId, rid);
        if (net === undefined) throw new BadRequest(`Network ${n.networkId} could not be found.`, {}, 'NetworkNotFound');
        out.push(n);
      }
    }
    return out;
  }

  /** Check an action may run now: 409 when the server is locked (for non-admins) or in the wrong state. */
  checkState(ctx: RequestContext, i: Instance, action: string, opts: { ignoreLock?: boolean } = {}): void {
    if (opts.ignoreLock !== true && i.locked && !ctx.isAdmin) throw new Conflict(`Instance ${i.id} is locked`, { instanceId: i.id }, 'InstanceIsLocked');
    const rule = ALLOWED[action];
    if (rule === undefined) return;
    const name = ACTION_NAMES[action] ?? action;
    if (!rule.vm.includes(i.vmState)) throw new Conflict(`Cannot '${name}' instance ${i.id} while it is in vm_state ${i.vmState}`, { instanceId: i.id }, 'InstanceInvalidState');
    if (rule.task !== undefined && !rule.task.includes(i.taskState)) throw new Conflict(`Cannot '${name}' instance ${i.id} while it is in task_state ${i.taskState}`, { instanceId: i.id }, 'InstanceInvalidState');
  }

  /** Record the action, set the task state (compare-and-swap), then cast to the host. */
  async castAction(ctx: RequestContext, i: Instance, actionName: string, taskState: string | null, action: PowerAction, changes: InstanceUpdate = {}, extra?: Record<string, unknown>): Promise<Instance> {
    if (i.host === null) throw new Conflict(`Cannot '${actionName}' instance ${i.id} while it has no host`, {}, 'InstanceInvalidState');
    const saved = await this.instances.save(i.id, { ...changes, taskState }, { expectedTaskState: [null] });
    await this.actions.start({ instanceId: i.id, requestId: ctx.requestId, action: actionName, projectId: i.projectId, userId: ctx.userId });
    await this.#o.compute.runAction(this.rpcContext(ctx), i.host, { instanceId: i.id, action, authToken: ctx.authToken, ...(extra !== undefined ? { extra } : {}) });
    return saved;
  }

  /** unshelve: schedule the server again like a build (the ports and volumes stay). Shelve always offloads, so there is no host to start it on. */
  async unshelve(ctx: RequestContext, i: Instance, target: { availabilityZone?: string | null; host?: string } = {}): Promise<void> {
    if (target.availabilityZone !== undefined) await this.instances.save(i.id, { availabilityZone: target.availabilityZone });
    const shelved = i.systemMetadata.shelved_image_id;
    const { shelved_image_id: _gone, ...rest } = i.systemMetadata;
    await this.instances.save(i.id, { taskState: 'unshelving', systemMetadata: rest }, { expectedTaskState: [null] });
    if (shelved !== undefined) await this.images.delete(ctx.authToken, shelved, ctx.globalRequestId);
    await this.actions.start({ instanceId: i.id, requestId: ctx.requestId, action: 'unshelve', projectId: i.projectId, userId: ctx.userId });
    await this.#o.scheduler.buildInstances(this.rpcContext(ctx), {
      instanceIds: [i.id],
      spec: { projectId: i.projectId, flavor: i.flavor, imageRef: i.imageRef, imageProperties: {}, availabilityZone: target.availabilityZone !== undefined ? target.availabilityZone : i.availabilityZone, forceHost: target.host ?? null, serverGroupId: i.serverGroupId },
      attempt: 1,
      excludedHosts: [],
      authToken: ctx.authToken,
    });
  }

  /** shelve: snapshot to glance as "<name>-shelved" (when glance is there), then offload on the host. */
  async shelve(ctx: RequestContext, i: Instance): Promise<void> {
    let imageId: string | undefined;
    if (await this.images.available(ctx.authToken)) {
      const base = i.imageRef === '' ? undefined : await this.images.find(ctx.authToken, i.imageRef, ctx.globalRequestId).catch(() => undefined);
      imageId = await this.images.createSnapshot(
        ctx.authToken,
        { name: `${i.name}-shelved`, disk_format: base?.diskFormat ?? 'qcow2', container_format: base?.containerFormat ?? 'bare', image_type: 'snapshot', instance_uuid: i.id, ...(i.imageRef !== '' ? { base_image_ref: i.imageRef } : {}) },
        Buffer.alloc(0),
        ctx.globalRequestId,
      );
    }
    await this.castAction(ctx, i, 'shelve', 'shelving', 'shelve', imageId !== undefined ? { systemMetadata: { ...i.systemMetadata, shelved_image_id: imageId } } : {}, imageId !== undefined ? { imageId } : undefined);
  }

  /** DELETE /servers/{id}: on the host when it is up, else locally (nova's local delete). */
  async deleteServer(ctx: RequestContext, i: Instance): Promise<void> {
    if (i.locked && !ctx.isAdmin) throw new Conflict(`Instance ${i.id} is locked`, { instanceId: i.id }, 'InstanceIsLocked');
    const start = await this.actions.start({ instanceId: i.id, requestId: ctx.requestId, action: 'delete', projectId: i.projectId, userId: ctx.userId });
    void start;
    const host = i.host;
    const service = host === null ? undefined : (await this.services.listServices({ host, binary: 'nova-compute' }))[0];
    if (host !== null && service !== undefined && serviceIsUp(service, this.serviceDownTimeMs)) {
      await this.instances.save(i.id, { taskState: 'deleting' });
      await this.#o.compute.terminateInstance(this.rpcContext(ctx), host, { instanceId: i.id, authToken: ctx.authToken });
      return;
    }
    await this.localDelete(i, ctx);
  }

  /** Delete without a host: mark deleted and give everything back. */
  async localDelete(i: Instance, ctx?: RequestContext): Promise<void> {
    if (ctx !== undefined) {
      for (const p of i.networkInfo) {
        await (p.created ? this.networks.deletePort(ctx.authToken, p.portId, ctx.globalRequestId) : this.networks.unbindPort(ctx.authToken, p.portId, ctx.globalRequestId)).catch((err: unknown) => this.#o.logger.warn({ err, instanceId: i.id }, 'local delete: port cleanup failed'));
      }
      for (const a of await this.attachments.list(i.id)) {
        if (a.attachmentId !== null) await this.volumes.detach(ctx.authToken, i.projectId, a.attachmentId, ctx.globalRequestId).catch(() => undefined);
      }
      const shelved = i.systemMetadata.shelved_image_id;
      if (shelved !== undefined) await this.images.delete(ctx.authToken, shelved, ctx.globalRequestId);
    }
    await this.instances.markDeleted(i.id);
    await this.services.release(i.id);
    await this.quotas.release(i.projectId, { instances: 1, cores: i.flavor.vcpus, ram: i.flavor.memoryMb });
    await this.groups.removeMember(i.id);
    for (const a of await this.attachments.list(i.id)) await this.attachments.delete(i.id, a.volumeId);
  }

  /** Console output from the host (the last `length` lines). */
  async consoleOutput(ctx: RequestContext, i: Instance, length: number | null): Promise<string> {
    if (i.host === null || i.vmState === 'building' || i.vmState === 'error') throw new Conflict(`Cannot 'get_console_output' instance ${i.id} while it is in vm_state ${i.vmState}`, {}, 'InstanceNotReady');
    return this.#o.compute.getConsoleOutput(this.rpcContext(ctx), i.host, { instanceId: i.id, length });
  }

  /** createImage: make the image record in glance, then the host uploads the data. */
  async createImage(ctx: RequestContext, i: Instance, name: string, metadata: Record<string, string>): Promise<string> {
    this.checkState(ctx, i, 'createImage');
    if (!(await this.images.available(ctx.authToken))) throw new BadRequest('No image service is available.', {}, 'ImageServiceUnavailable');
    const base = i.imageRef === '' ? undefined : await this.images.find(ctx.authToken, i.imageRef, ctx.globalRequestId).catch(() => undefined);
    const props: Record<string, unknown> = {
      name,
      disk_format: base?.diskFormat ?? 'qcow2',
      container_format: base?.containerFormat ?? 'bare',
      min_ram: base?.minRam ?? 0,
      min_disk: Math.max(base?.minDisk ?? 0, i.flavor.rootGb),
      image_type: 'snapshot',
      instance_uuid: i.id,
      user_id: ctx.userId,
      ...(i.imageRef !== '' ? { base_image_ref: i.imageRef } : {}),
      ...metadata,
    };
    const imageId = await this.images.createSnapshot(ctx.authToken, props, Buffer.alloc(0), ctx.globalRequestId);
    await this.instances.save(i.id, { taskState: 'image_snapshot' }, { expectedTaskState: [null] });
    await this.actions.start({ instanceId: i.id, requestId: ctx.requestId, action: 'createImage', projectId: i.projectId, userId: ctx.userId });
    await this.#o.compute.snapshotInstance(this.rpcContext(ctx), i.host ?? '', { instanceId: i.id, imageId, authToken: ctx.authToken });
    return imageId;
  }

  /** Attach a volume through the host (cinder attachments API); returns the attachment as recorded. */
  async attachVolume(ctx: RequestContext, i: Instance, volumeId: string, device: string | null, tag: string | null, deleteOnTermination: boolean): Promise<{ device: string }> {
    if (i.locked && !ctx.isAdmin) throw new Conflict(`Instance ${i.id} is locked`, {}, 'InstanceIsLocked');
    if (!['active', 'stopped', 'paused', 'suspended', 'resized', 'shelved', 'shelved_offloaded'].includes(i.vmState)) throw new Conflict(`Cannot 'attach_volume' instance ${i.id} while it is in vm_state ${i.vmState}`, {}, 'InstanceInvalidState');
    const projectId = i.projectId;
    if (!(await this.volumes.available(ctx.authToken, projectId))) throw new BadRequest('No volume service is available.', {}, 'VolumeServiceUnavailable');
    const v = await this.volumes.find(ctx.authToken, projectId, volumeId, ctx.globalRequestId);
    if (v === undefined) throw new NotFound(`Volume ${volumeId} could not be found.`, {}, 'VolumeNotFound');
    if (v.status !== 'available' && !(v.multiattach && v.status === 'in-use')) throw new BadRequest(`Invalid volume: volume ${volumeId} status must be available, but it is ${v.status}`, {}, 'InvalidVolume');
    const existing = await this.attachments.list(i.id);
    if (existing.some((a) => a.volumeId === volumeId)) throw new BadRequest(`Invalid volume: volume ${volumeId} is already attached to instance ${i.id}`, {}, 'InvalidVolume');
    const used = new Set(existing.map((a) => a.device));
    used.add('/dev/vda');
    let dev = device ?? '';
    if (dev === '' || used.has(dev)) {
      for (let c = 1; c < 26; c++) {
        const d = `/dev/vd${String.fromCharCode(97 + c)}`;
        if (!used.has(d)) {
          dev = d;
          break;
        }
      }
    }
    await this.actions.start({ instanceId: i.id, requestId: ctx.requestId, action: 'attach_volume', projectId, userId: ctx.userId });
    if (i.host === null) {
      // NOTE: a shelved-offloaded server has no host: cinder records the attachment; the guest gets it on unshelve.
      const a = await this.volumes.attach(ctx.authToken, projectId, volumeId, i.id, '', ctx.globalRequestId);
      await this.attachments.create({ instanceId: i.id, volumeId, device: dev, tag, deleteOnTermination, attachmentId: a.attachmentId });
      await this.actions.finish(i.id, ctx.requestId, null);
      return { device: dev };
    }
    await this.#o.compute.attachVolume(this.rpcContext(ctx), i.host, { instanceId: i.id, volumeId, device: dev, tag, deleteOnTermination, authToken: ctx.authToken });
    await this.actions.finish(i.id, ctx.requestId, null);
    return { device: dev };
  }

  async detachVolume(ctx: RequestContext, i: Instance, volumeId: string): Promise<void> {
    if (i.locked && !ctx.isAdmin) throw new Conflict(`Instance ${i.id} is locked`, {}, 'InstanceIsLocked');
    if (i.vmState === 'rescued' || i.vmState === 'building') throw new Conflict(`Cannot 'detach_volume' instance ${i.id} while it is in vm_state ${i.vmState}`, {}, 'InstanceInvalidState');
    const a = await this.attachments.get(i.id, volumeId);
    if (i.host === null) {
      if (a.attachmentId !== null) await this.volumes.detach(ctx.authToken, i.projectId, a.attachmentId, ctx.globalRequestId);
      await this.attachments.delete(i.id, volumeId);
      return;
    }
    await this.actions.start({ instanceId: i.id, requestId: ctx.requestId, action: 'detach_volume', projectId: i.projectId, userId: ctx.userId });
    await this.#o.compute.detachVolume(this.rpcContext(ctx), i.host, { instanceId: i.id, volumeId, authToken: ctx.authToken });
  }

  async attachInterface(ctx: RequestContext, i: Instance, req: { networkId: string | null; portId: string | null; fixedIp: string | null }): Promise<string> {
    if (i.host === null) throw new Conflict(`Cannot 'attach_interface' instance ${i.id} while it is in vm_state ${i.vmState}`, {}, 'InstanceInvalidState');
    if (!(await this.networks.available(ctx.authToken))) throw new BadRequest('No network service is available.', {}, 'NetworkServiceUnavailable');
    let networkId = req.networkId;
    if (req.portId === null && networkId === null) {
      const usable = await this.networks.usableNetworks(ctx.authToken, i.projectId, ctx.globalRequestId);
      networkId = usable[0]?.id ?? null;
      if (networkId === null) throw new BadRequest('No network is available to attach.', {}, 'NetworkNotFound');
    }
    if (req.portId !== null) {
      const p = await this.networks.getPort(ctx.authToken, req.portId, ctx.globalRequestId);
      if (p === undefined) throw new NotFound(`Port ${req.portId} could not be found.`, {}, 'PortNotFound');
      if (p.deviceId !== '' && p.deviceId !== i.id) throw new Conflict(`Port ${req.portId} is still in use.`, {}, 'PortInUse');
    } else if (networkId !== null && (await this.networks.getNetwork(ctx.authToken, networkId, ctx.globalRequestId)) === undefined) {
      throw new NotFound(`Network ${networkId} could not be found.`, {}, 'NetworkNotFound');
    }
    await this.actions.start({ instanceId: i.id, requestId: ctx.requestId, action: 'attach_interface', projectId: i.projectId, userId: ctx.userId });
    const r = await this.#o.compute.attachInterface(this.rpcContext(ctx), i.host, { instanceId: i.id, networkId, portId: req.portId, fixedIp: req.fixedIp, authToken: ctx.authToken });
    await this.actions.finish(i.id, ctx.requestId, null);
    return r.portId;
  }

  async detachInterface(ctx: RequestContext, i: Instance, portId: string): Promise<void> {
    if (!i.networkInfo.some((p) => p.portId === portId)) throw new NotFound(`Port ${portId} is not attached`, {}, 'PortNotFound');
    if (i.host === null) throw new Conflict(`Cannot 'detach_interface' instance ${i.id} while it has no host`, {}, 'InstanceInvalidState');
    await this.actions.start({ instanceId: i.id, requestId: ctx.requestId, action: 'detach_interface', projectId: i.projectId, userId: ctx.userId });
    await this.#o.compute.detachInterface(this.rpcContext(ctx), i.host, { instanceId: i.id, portId, authToken: ctx.authToken });
    await this.actions.finish(i.id, ctx.requestId, null);
  }

  /** os-server-external-events: hand each event to the host of its server; returns per-event codes. */
  async externalEvents(ctx: RequestContext, events: ReadonlyArray<{ name: string; server_uuid: string; tag?: string; status?: string }>): Promise<Array<{ name: string; server_uuid: string; tag?: string; status: string; code: number }>> {
    const out: Array<{ name: string; server_uuid: string; tag?: string; status: string; code: number }> = [];
    const byHost = new Map<string, Map<string, Array<{ name: string; tag: string | null; status: string }>>>();
    for (const e of events) {
      const status = e.status ?? 'completed';
      const i = await this.instances.find(e.server_uuid);
      if (i === undefined) {
        out.push({ ...e, status: 'failed', code: 404 });
        continue;
      }
      if (i.host === null) {
        out.push({ ...e, status: 'failed', code: 422 });
        continue;
      }
      const perHost = byHost.get(i.host) ?? new Map();
      byHost.set(i.host, perHost);
      const list = perHost.get(i.id) ?? [];
      perHost.set(i.id, list);
      list.push({ name: e.name, tag: e.tag ?? null, status });
      out.push({ ...e, status, code: 200 });
    }
    const rpcCtx = this.rpcContext(ctx);
    for (const [host, perInstance] of byHost) {
      for (const [instanceId, evs] of perInstance) await this.#o.compute.externalInstanceEvent(rpcCtx, host, { instanceId, events: evs });
    }
    return out;
  }

  /** A new admin password (nova's generate_password). */
  static generatePassword(): string {
    return randomBytes(9).toString('base64url').slice(0, 12);
  }
}

/** nova's sanitized hostname from a display name. */
export function hostnameOf(name: string): string {
  const h = name.toLowerCase().replace(/[^\w.\- ]/g, '').replace(/[ _]/g, '-').replace(/^[.-]+|[.-]+$/g, '').slice(0, 63);
  return h === '' ? 'server' : h;
}

/** A timestamp now, as rows store it. */
export const now = nowIso;
export { randomUUID };
