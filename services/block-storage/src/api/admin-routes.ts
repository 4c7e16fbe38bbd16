/** Operator views: os-services (heartbeats; stale is down), os-hosts, scheduler-stats/get_pools, capabilities, os-availability-zone, extensions. */
import type { FastifyInstance } from 'fastify';
import { BadRequest, NotFound } from '@strata/errors';
import { queryBool, queryString, type Query } from '@strata/http';
import { rpcContext } from '../api-support.js';
import { serviceIsUp, type ServiceRecord } from '../objects/service-record.js';
import type { SchedulerRpcClient } from '../scheduler/scheduler-rpc.js';
import type { VolumeApi } from '../volume-api.js';
import { caller, versionOf } from './route-helpers.js';
import { cinderTime } from './view-helpers.js';

/** The extensions cinder lists (alias, name); every one of them is served here. */
const EXTENSIONS: ReadonlyArray<[string, string, string]> = [
  ['os-admin-actions', 'AdminActions', 'Enable admin actions.'],
  ['os-availability-zone', 'AvailabilityZones', 'Describe Availability Zones.'],
  ['capabilities', 'Capabilities', 'Capabilities support.'],
  ['os-extended-services', 'ExtendedServices', 'Extended services support.'],
  ['os-extended-snapshot-attributes', 'ExtendedSnapshotAttributes', 'Extended SnapshotAttributes support.'],
  ['os-hosts', 'Hosts', 'Admin-only host administration.'],
  ['os-quota-class-sets', 'QuotaClasses', 'Quota classes management support.'],
  ['os-quota-sets', 'Quotas', 'Quota management support.'],
  ['qos-specs', 'Qos_specs_manage', 'QoS specs support.'],
  ['scheduler-stats', 'Scheduler_stats', 'Scheduler stats support.'],
  ['os-services', 'Services', 'Services support.'],
  ['os-snapshot-actions', 'SnapshotActions', 'Enable snapshot manager actions.'],
  ['os-types-extra-specs', 'TypesExtraSpecs', 'Type extra specs support.'],
  ['os-types-manage', 'TypesManage', 'Types manage support.'],
  ['os-used-limits', 'UsedLimits', 'Provide data on limited resources that are being used.'],
  ['os-volume-actions', 'VolumeActions', 'Enable volume actions.'],
  ['os-volume-encryption-metadata', 'VolumeEncryptionMetadata', 'Volume encryption metadata retrieval support.'],
  ['os-vol-host-attr', 'VolumeHostAttribute', 'Expose host as an attribute of a volume.'],
  ['os-vol-image-meta', 'VolumeImageMetadata', 'Show image metadata associated with the volume.'],
  ['os-vol-mig-status-attr', 'VolumeMigStatusAttribute', 'Expose migration_status as an attribute of a volume.'],
  ['os-vol-tenant-attr', 'VolumeTenantAttribute', 'Expose the internal project_id as an attribute of a volume.'],
  ['os-volume-transfer', 'VolumeTransfer', 'Volume transfer management support.'],
  ['os-volume-type-access', 'VolumeTypeAccess', 'Volume type access support.'],
  ['encryption', 'VolumeTypeEncryption', 'Encryption support for volume types.'],
];

/** Register the operator routes on an app scoped to `/v3/{project_id}`. */
export function registerAdminRoutes(app: FastifyInstance, api: VolumeApi, scheduler: SchedulerRpcClient): void {
  const downMs = api.config.serviceDownTimeMs;

  const serviceView = (s: ServiceRecord, atLeast: (m: string) => boolean, now: number): Record<string, unknown> => {
    const out: Record<string, unknown> = {
      binary: s.binary,
      host: s.host,
      zone: s.availabilityZone,
      status: s.disabled ? 'disabled' : 'enabled',
      state: serviceIsUp(s, downMs, now) ? 'up' : 'down',
      updated_at: cinderTime(s.updatedAt ?? s.createdAt),
      disabled_reason: s.disabledReason,
    };
    if (atLeast('3.7')) out.cluster = null;
    if (s.binary === 'cinder-volume') {
      out.replication_status = 'disabled';
      out.active_backend_id = null;
      out.frozen = s.frozen;
      if (atLeast('3.49')) out.backend_state = serviceIsUp(s, downMs, now) ? String(s.capabilities.backend_state ?? 'up') : 'down';
    }
    return out;
  };

  app.get('/os-services', async (request) => {
    const ctx = caller(request);
    ctx.authorize('volume_extension:services:index');
    const q = request.query as Query;
    const host = queryString(q, 'host');
    const binary = queryString(q, 'binary');
    const version = versionOf(request);
    const now = Date.now();
    const list = await api.services.list({ ...(binary !== undefined ? { binary } : {}) });
    // NOTE: cinder matches ?host= on the host part, so `host1` also finds `host1@lvm`.
    const filtered = host === undefined ? list : list.filter((s) => s.host === host || s.host.split('@')[0] === host);
    return { services: filtered.map((s) => serviceView(s, (m) => version.atLeast(m), now)) };
  });

  app.put('/os-services/:action', { schema: { body: { type: 'object' } } }, async (request) => {
    const ctx = caller(request);
    ctx.authorize('volume_extension:services:update');
    const action = (request.params as { action: string }).action;
    const body = request.body as Record<string, unknown>;
    const host = body.host;
    if (typeof host !== 'string' || host === '') throw new BadRequest("Missing required element 'host' in request body.", {}, 'MissingRequiredElement');
    if (action === 'freeze' || action === 'thaw') {
      const n = await api.services.setFrozen(host, action === 'freeze');
      if (n === 0) throw new BadRequest(`Host ${host} has no volume service.`, {}, 'InvalidInput');
      return {};
    }
    const binary = typeof body.binary === 'string' ? body.binary : typeof body.service === 'string' ? body.service : undefined;
    if (binary === undefined) throw new BadRequest("Missing required element 'binary' in request body.", {}, 'MissingRequiredElement');
    let disabled: boolean;
    let reason: string | null = null;
    if (action === 'enable') disabled = false;
    else if (action === 'disable') disabled = true;
    else if (action === 'disable-log-reason') {
      disabled = true;
      reason = typeof body.disabled_reason === 'string' ? body.disabled_reason.trim() : '';
      if (reason === '' || reason.length > 255) throw new BadRequest('Disabled reason contains invalid characters or is too long', {}, 'InvalidInput');
    } else throw new NotFound(`Unknown action ${action}`, {}, 'NotFound');
    const n = await api.services.setDisabled(host, binary, disabled, reason);
    if (n === 0) throw new NotFound(`Service ${binary} on host ${host} could not be found.`, {}, 'ServiceNotFound');
    return { host, service: binary, disabled, binary, status: disabled ? 'disabled' : 'enabled', disabled_reason: reason };
  });

  app.get('/os-hosts', async (request) => {
    const ctx = caller(request);
    ctx.authorize('volume_extension:hosts');
    const zone = queryString(request.query as Query, 'service') ?? queryString(request.query as Query, 'zone');
    const now = Date.now();
    const list = (await api.services.list()).filter((s) => zone === undefined || s.availabilityZone === zone);
    return {
      hosts: list.map((s) => ({
        service: s.binary,
        host_name: s.host,
        zone: s.availabilityZone,
        'service-status': serviceIsUp(s, downMs, now) ? 'available' : 'unavailable',
        'service-state': s.disabled ? 'disabled' : 'enabled',
        'last-update': cinderTime(s.updatedAt),
      })),
    };
  });

  app.get('/os-hosts/:host', async (request) => {
    const ctx = caller(request);
    ctx.authorize('volume_extension:hosts');
    const host = (request.params as { host: string }).host;
    const services = (await api.services.list()).filter((s) => s.binary === 'cinder-volume' && (s.host === host || s.host.split('@')[0] === host));
    if (services.length === 0) throw new NotFound(`Host ${host} could not be found.`, { host }, 'HostNotFound');
    const volumes = await api.volumes.list({ host });
    const snapshots = (await api.snapshots.list()).filter((s) => volumes.some((v) => v.id === s.volumeId));
    const resource = (project: string, vs: typeof volumes) => {
      const snaps = snapshots.filter((s) => vs.some((v) => v.id === s.volumeId));
      return {
        resource: {
          project,
          host,
          volume_count: String(vs.length),
          total_volume_gb: String(vs.reduce((n, v) => n + v.size, 0)),
          snapshot_count: String(snaps.length),
          total_snapshot_gb: String(snaps.reduce((n, s) => n + s.volumeSize, 0)),
        },
      };
    };
    const projects = [...new Set(volumes.map((v) => v.projectId))];
    return { host: [resource('(total)', volumes), ...projects.map((p) => resource(p, volumes.filter((v) => v.projectId === p)))] };
  });

  app.get('/scheduler-stats/get_pools', async (request) => {
    const ctx = caller(request);
    ctx.authorize('scheduler_extension:scheduler_stats:get_pools');
    const q = request.query as Query;
    const detail = queryBool(q, 'detail') === true;
    const filters: Record<string, string> = {};
    if (versionOf(request).atLeast('3.28')) {
      for (const key of ['name', 'volume_backend_name']) {
        const v = queryString(q, key);
        if (v !== undefined) filters[key] = v;
      }
    }
    const pools = await scheduler.getPools(rpcContext(ctx), detail, filters);
    return { pools: pools.map((p) => (detail ? { name: p.name, capabilities: p.capabilities } : { name: p.name })) };
  });

  app.get('/capabilities/:host', async (request) => {
    const ctx = caller(request);
    ctx.authorize('volume_extension:capabilities');
    const host = (request.params as { host: string }).host;
    const svc = (await api.services.list({ binary: 'cinder-volume' })).find((s) => s.host === host);
    if (svc === undefined || !serviceIsUp(svc, downMs)) throw new NotFound(`Service ${host} could not be found.`, { host }, 'ServiceNotFound');
    const pool = (await api.services.pools(host))[0];
    const caps = svc.capabilities;
    return {
      namespace: `OS::Storage::Capabilities::${host}`,
      vendor_name: caps.vendor_name ?? null,
      volume_backend_name: caps.volume_backend_name ?? null,
      pool_name: pool?.pool ?? null,
      driver_version: caps.driver_version ?? null,
      storage_protocol: caps.storage_protocol ?? null,
      display_name: null,
      description: null,
      visibility: null,
      replication_targets: [],
      properties: {
        thin_provisioning: { title: 'Thin Provisioning', description: 'Sets thin provisioning.', type: 'boolean' },
        compression: { title: 'Compression', description: 'Enables compression.', type: 'boolean' },
        qos: { title: 'QoS', description: 'Enables QoS.', type: 'boolean' },
        replication: { title: 'Replication', description: 'Enables replication.', type: 'boolean' },
      },
    };
  });

  app.get('/os-availability-zone', async (request) => {
    const ctx = caller(request);
    ctx.authorize('volume_extension:availability_zone_list');
    return { availabilityZoneInfo: (await api.availabilityZones()).map((z) => ({ zoneName: z.name, zoneState: { available: z.available } })) };
  });

  app.get('/extensions', async (request) => {
    const ctx = caller(request);
    ctx.authorize('volume_extension:extensions');
    return {
      extensions: EXTENSIONS.map(([alias, name, description]) => ({ alias, name, description, links: [], namespace: `https://docs.openstack.org/volume/ext/${alias}/api/v1`, updated: '2012-06-19T00:00:00+00:00' })),
    };
  });

}
