/** os-aggregates, os-hosts, os-migrations, os-quota-class-sets, diagnostics, os-simple-tenant-usage, os-instance_usage_audit_log. */
import type { FastifyInstance } from 'fastify';
import { contextOf } from '@strata/auth';
import { BadRequest, Forbidden, NotFound, NotImplemented } from '@strata/errors';
import { queryString, type Query } from '@strata/http';
import type { ComputeApi } from '../compute-api.js';
import type { Aggregate } from '../objects/aggregate.js';
import type { Instance } from '../objects/instance.js';
import { QUOTA_RESOURCES, type QuotaResource } from '../objects/quota.js';
import type { ApiVersion } from './microversion.js';
import { baseOf, bodyObject, invalid, markerPage, nameField, onlyKeys, str, versionOf } from './route-helpers.js';
import { isoMicro } from './view-helpers.js';

function aggregateView(a: Aggregate, v: ApiVersion): Record<string, unknown> {
  return {
    id: a.id,
    name: a.name,
    availability_zone: a.availabilityZone,
    hosts: [...a.hosts],
    metadata: { ...a.metadata },
    created_at: isoMicro(a.createdAt),
    updated_at: isoMicro(a.updatedAt),
    deleted: false,
    deleted_at: null,
    ...(v.atLeast('2.41') ? { uuid: a.uuid } : {}),
  };
}

function parseDate(v: string | undefined, name: string): Date | undefined {
  if (v === undefined) return undefined;
  const d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(v) ? v : `${v}Z`);
  if (Number.isNaN(d.getTime())) throw new BadRequest(`Invalid ${name} value: ${v}`, {}, 'InvalidInput');
  return d;
}

/** Register the remaining os-* routes. */
export function registerOsMiscRoutes(app: FastifyInstance, api: ComputeApi): void {
  // Aggregates.
  const aggAdmin = (request: import('fastify').FastifyRequest): void => contextOf(request).authorize('os_compute_api:os-hypervisors');
  const azField = (b: Record<string, unknown>): string | null | undefined => {
    const az = b.availability_zone;
    if (az === undefined) return undefined;
    if (az === null) return null;
    if (typeof az !== 'string' || az.length < 1 || az.length > 255 || az.trim() !== az) throw invalid('availability_zone', `${JSON.stringify(az)} is not valid`);
    return az;
  };
  app.get('/v2.1/os-aggregates', async (request) => {
    aggAdmin(request);
    return { aggregates: (await api.aggregates.list()).map((a) => aggregateView(a, versionOf(request))) };
  });
  app.post('/v2.1/os-aggregates', async (request) => {
    aggAdmin(request);
    const b = bodyObject(request, 'aggregate');
    onlyKeys(b, ['name', 'availability_zone'], 'aggregate');
    const name = nameField(b, 'name', true) as string;
    const a = await api.aggregates.create(name, azField(b) ?? null);
    const view = aggregateView(a, versionOf(request));
    delete view.hosts;
    delete view.metadata;
    return { aggregate: view };
  });
  app.get('/v2.1/os-aggregates/:id', async (request) => {
    aggAdmin(request);
    return { aggregate: aggregateView(await api.aggregates.get((request.params as { id: string }).id), versionOf(request)) };
  });
  app.put('/v2.1/os-aggregates/:id', async (request) => {
    aggAdmin(request);
    const a = await api.aggregates.get((request.params as { id: string }).id);
    const b = bodyObject(request, 'aggregate');
    onlyKeys(b, ['name', 'availability_zone'], 'aggregate');
    if (Object.keys(b).length === 0) throw new BadRequest('The request body must not be empty', {}, 'ValidationError');
    const name = nameField(b, 'name', false);
    const az = azField(b);
    const updated = await api.aggregates.update(a.id, { ...(name !== undefined ? { name } : {}), ...(az !== undefined ? { availabilityZone: az } : {}) });
    return { aggregate: aggregateView(updated, versionOf(request)) };
  });
  app.delete('/v2.1/os-aggregates/:id', async (request, reply) => {
    aggAdmin(request);
    const a = await api.aggregates.get((request.params as { id: string }).id);
    await api.aggregates.delete(a.id);
    return reply.code(200).send();
  });
  app.post('/v2.1/os-aggregates/:id/action', async (request) => {
    aggAdmin(request);
    const a = await api.aggregates.get((request.params as { id: string }).id);
    const b = (request.body ?? {}) as Record<string, unknown>;
    const v = versionOf(request);
    if (b.add_host !== undefined || b.remove_host !== undefined) {
      const host = (b.add_host ?? b.remove_host) as { host?: unknown } | null;
      if (host === null || typeof host.host !== 'string' || host.host === '') throw invalid('host', "'host' is a required property");
      if (b.add_host !== undefined) {
        const known = (await api.services.listServices({ host: host.host, binary: 'nova-compute' })).length > 0;
        if (!known) throw new NotFound(`Compute host ${host.host} could not be found.`, {}, 'ComputeHostNotFound');
        await api.aggregates.addHost(a.id, host.host);
      } else {
        if (!a.hosts.includes(host.host)) {
          const known = (await api.services.listServices({ host: host.host, binary: 'nova-compute' })).length > 0;
          throw new NotFound(known ? `Cannot remove host ${host.host} in aggregate ${a.id}` : `Compute host ${host.host} could not be found.`, {}, known ? 'AggregateHostNotFound' : 'ComputeHostNotFound');
        }
        await api.aggregates.removeHost(a.id, host.host);
      }
      return { aggregate: aggregateView(await api.aggregates.get(String(a.id)), v) };
    }
    if (b.set_metadata !== undefined) {
      const md = (b.set_metadata as { metadata?: unknown } | null)?.metadata;
      if (md === null || typeof md !== 'object' || Array.isArray(md)) throw invalid('metadata', "'metadata' is a required property");
      const values: Record<string, string | null> = {};
      for (const [k, val] of Object.entries(md as Record<string, unknown>)) {
        if (k.length < 1 || k.length > 255) throw invalid('metadata', `key '${k}' is not valid`);
        if (val !== null && typeof val !== 'string') throw invalid('metadata', `value of '${k}' is not a string`);
        values[k] = val as string | null;
      }
      await api.aggregates.setMetadata(a.id, values);
      return { aggregate: aggregateView(await api.aggregates.get(String(a.id)), v) };
    }
    throw new BadRequest('Invalid request body: expected add_host, remove_host or set_metadata', {}, 'ValidationError');
  });

  // os-hosts (deprecated; removed at 2.43).
  const hostsGone = (request: import('fastify').FastifyRequest): void => {
    if (versionOf(request).atLeast('2.43')) throw new NotFound('The resource could not be found.', {}, 'NotFound');
    contextOf(request).authorize('os_compute_api:os-hypervisors');
  };
  app.get('/v2.1/os-hosts', async (request) => {
    hostsGone(request);
    const zones = await api.hostZones();
    const zone = queryString(request.query as Query, 'zone');
    const hosts = (await api.services.listServices()).map((s) => ({ host_name: s.host, service: s.topic, zone: s.binary === 'nova-compute' ? (zones.get(s.host) ?? api.defaultAvailabilityZone) : 'internal' }));
    return { hosts: zone === undefined || zone === '' ? hosts : hosts.filter((h) => h.zone === zone) };
  });
  app.get('/v2.1/os-hosts/:host', async (request) => {
    hostsGone(request);
    const name = (request.params as { host: string }).host;
    let node;
    try {
      node = await api.services.getNodeByHost(name);
    } catch {
      throw new NotFound(`Host ${name} could not be found.`, {}, 'HostNotFound');
    }
    const instances = await api.instances.list({ host: name });
    const byProject = new Map<string, { cpu: number; memory_mb: number; disk_gb: number }>();
    for (const i of instances) {
      const p = byProject.get(i.projectId) ?? { cpu: 0, memory_mb: 0, disk_gb: 0 };
      p.cpu += i.flavor.vcpus;
      p.memory_mb += i.flavor.memoryMb;
      p.disk_gb += i.flavor.rootGb + i.flavor.ephemeralGb;
      byProject.set(i.projectId, p);
    }
    const row = (project: string, r: { cpu: number; memory_mb: number; disk_gb: number }): Record<string, unknown> => ({ resource: { host: name, project, ...r } });
    return {
      host: [
        row('(total)', { cpu: node.vcpus, memory_mb: node.memoryMb, disk_gb: node.localGb }),
        row('(used_now)', { cpu: node.vcpusUsed, memory_mb: node.memoryMbUsed, disk_gb: node.localGbUsed }),
        row('(used_max)', { cpu: node.vcpusUsed, memory_mb: node.memoryMbUsed, disk_gb: node.localGbUsed }),
        ...[...byProject].map(([p, r]) => row(p, r)),
      ],
    };
  });
  const hostNamed = async (name: string): Promise<void> => {
    if ((await api.services.listServices({ host: name })).length === 0) throw new NotFound(`Host ${name} could not be found.`, {}, 'HostNotFound');
  };
  app.put('/v2.1/os-hosts/:host', async (request) => {
    hostsGone(request);
    const name = (request.params as { host: string }).host;
    const b = (request.body ?? {}) as Record<string, unknown>;
    onlyKeys(b, ['status', 'maintenance_mode'], 'host');
    for (const k of ['status', 'maintenance_mode'] as const) if (b[k] !== undefined && b[k] !== 'enable' && b[k] !== 'disable') throw invalid(k, `${JSON.stringify(b[k])} is not one of ['enable', 'disable']`);
    if (b.status === undefined && b.maintenance_mode === undefined) throw new BadRequest("'status' or 'maintenance_mode' needed for host update", {}, 'ValidationError');
    await hostNamed(name);
    if (b.maintenance_mode !== undefined) throw new NotImplemented('Maintenance mode is not implemented by this hypervisor driver.');
    const svc = (await api.services.listServices({ host: name, binary: 'nova-compute' }))[0];
    if (svc !== undefined) await api.services.updateService(svc.uuid, { disabled: b.status === 'disable' });
    return { host: name, status: b.status === 'disable' ? 'disabled' : 'enabled' };
  });
  for (const action of ['startup', 'shutdown', 'reboot']) {
    app.get(`/v2.1/os-hosts/:host/${action}`, async (request) => {
      hostsGone(request);
      await hostNamed((request.params as { host: string }).host);
      throw new NotImplemented(`Host ${action} is not implemented by this hypervisor driver.`);
    });
  }

  // os-migrations.
  // Strata has no migration engine, so the list is always empty; the query is still checked.
  app.get('/v2.1/os-migrations', async (request) => {
    contextOf(request).authorize('os_compute_api:os-hypervisors');
    const v = versionOf(request);
    const q = request.query as Query;
    for (const [param, since] of [['changes-since', '2.59'], ['changes-before', '2.66']] as const) {
      const t = v.atLeast(since) ? queryString(q, param) : undefined;
      if (t !== undefined && Number.isNaN(Date.parse(t.replace(' ', 'T')))) throw new BadRequest(`Invalid input for query parameters ${param}. Value: ${t}. '${t}' is not a 'date-time'`, {}, 'ValidationError');
    }
    const limit = v.atLeast('2.59') ? queryString(q, 'limit') : undefined;
    if (limit !== undefined && !/^\d+$/.test(limit)) throw new BadRequest(`Invalid input for query parameters limit. Value: ${limit}. '${limit}' does not match '^[0-9]*$'`, {}, 'ValidationError');
    const marker = v.atLeast('2.59') ? queryString(q, 'marker') : undefined;
    if (marker !== undefined) throw new BadRequest(`Marker ${marker} could not be found.`, {}, 'MarkerNotFound');
    for (const param of v.atLeast('2.80') ? ['user_id', 'project_id'] : []) {
      const id = queryString(q, param);
      if (id !== undefined && (id.length < 1 || id.length > 255)) throw new BadRequest(`Invalid input for query parameters ${param}. Value: ${id}.`, {}, 'ValidationError');
    }
    return { migrations: [] };
  });

  // Image pre-caching on an aggregate's hosts (2.81): accepted once every image is known.
  app.post('/v2.1/os-aggregates/:id/images', async (request, reply) => {
    if (!versionOf(request).atLeast('2.81')) throw new NotFound('The resource could not be found.', {}, 'NotFound');
    const ctx = contextOf(request);
    aggAdmin(request);
    const a = await api.aggregates.get((request.params as { id: string }).id);
    const b = request.body as Record<string, unknown> | undefined;
    if (b === undefined || b === null || typeof b !== 'object' || Array.isArray(b)) throw new BadRequest('The request body is missing or is not a JSON object.', {}, 'ValidationError');
    onlyKeys(b, ['cache'], 'request body');
    const cache = b.cache;
    if (!Array.isArray(cache) || cache.length === 0) throw invalid('cache', `${JSON.stringify(cache)} is not a non-empty array`);
    const ids = cache.map((e) => {
      if (e === null || typeof e !== 'object' || Array.isArray(e)) throw invalid('cache', `${JSON.stringify(e)} is not of type 'object'`);
      onlyKeys(e as Record<string, unknown>, ['id'], 'cache');
      const id = (e as { id?: unknown }).id;
      if (typeof id !== 'string' || !/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(id)) throw invalid('cache/id', `${JSON.stringify(id)} is not a 'uuid'`);
      return id;
    });
    if (new Set(ids).size !== ids.length) throw invalid('cache', 'has non-unique elements');
    if (await api.images.available(ctx.authToken)) {
      for (const id of ids) if ((await api.images.find(ctx.authToken, id, ctx.globalRequestId)) === undefined) throw new BadRequest(`Image ${id} could not be found.`, {}, 'ImageNotFound');
    }
    void a;
    return reply.code(202).send();
  });

  // os-quota-class-sets: the "default" class is the defaults every project starts from.
  app.get('/v2.1/os-quota-class-sets/:cls', async (request) => {
    contextOf(request).authorize('os_compute_api:os-quota-sets:defaults');
    const cls = (request.params as { cls: string }).cls;
    return { quota_class_set: { id: cls, ...quotaClassView(await api.quotas.limits(`__class__${cls}`), versionOf(request)) } };
  });
  app.put('/v2.1/os-quota-class-sets/:cls', async (request) => {
    contextOf(request).authorize('os_compute_api:os-quota-sets:update');
    const cls = (request.params as { cls: string }).cls;
    const b = bodyObject(request, 'quota_class_set');
    const values: Partial<Record<QuotaResource, number>> = {};
    for (const [k, raw] of Object.entries(b)) {
      if (!(QUOTA_RESOURCES as readonly string[]).includes(k)) throw new BadRequest(`Additional properties are not allowed ('${k}' was unexpected)`, {}, 'ValidationError');
      const n = Number(raw);
      if (!Number.isInteger(n) || n < -1) throw invalid(k, `${JSON.stringify(raw)} is not valid`);
      values[k as QuotaResource] = n;
    }
    await api.quotas.setLimits(`__class__${cls}`, values);
    return { quota_class_set: quotaClassView(await api.quotas.limits(`__class__${cls}`), versionOf(request)) };
  });

  // Diagnostics (admin).
  app.get('/v2.1/servers/:id/diagnostics', async (request) => {
    const ctx = contextOf(request);
    const i = await api.getServer(ctx, (request.params as { id: string }).id);
    ctx.authorize('os_compute_api:os-hypervisors');
    if (i.vmState !== 'active' && i.vmState !== 'paused' && i.vmState !== 'suspended' && i.vmState !== 'stopped') throw new (await import('@strata/errors')).Conflict(`Cannot 'get_diagnostics' instance ${i.id} while it is in vm_state ${i.vmState}`, {}, 'InstanceInvalidState');
    if (!versionOf(request).atLeast('2.48')) return { cpu0_time: 17_300_000_000, memory: i.flavor.memoryMb * 1024, 'vda_read': 262_144, 'vda_write': 5_778_432 };
    return {
      state: i.powerState === 1 ? 'running' : i.powerState === 3 ? 'paused' : 'shutdown',
      driver: 'libvirt',
      hypervisor: 'kvm',
      hypervisor_os: 'fake-os',
      uptime: 46664,
      config_drive: i.configDrive !== '',
      num_cpus: i.flavor.vcpus,
      num_nics: i.networkInfo.length,
      num_disks: 1,
      memory_details: { maximum: i.flavor.memoryMb, used: 0 },
      cpu_details: Array.from({ length: i.flavor.vcpus }, (_, n) => ({ id: n, time: 17_300_000_000, utilisation: 15 })),
      nic_details: i.networkInfo.map((n) => ({ mac_address: n.macAddress, rx_octets: 0, rx_errors: 0, rx_drop: 0, rx_packets: 0, rx_rate: null, tx_octets: 0, tx_errors: 0, tx_drop: 0, tx_packets: 0, tx_rate: null })),
      disk_details: [{ read_bytes: 262_144, read_requests: 112, write_bytes: 5_778_432, write_requests: 488, errors_count: 0 }],
    };
  });

  // os-simple-tenant-usage.
  const usageOf = (instances: Instance[], tenant: string, start: Date, stop: Date, detailed: boolean): Record<string, unknown> => {
    let hours = 0;
    let vcpuH = 0;
    let memH = 0;
    let diskH = 0;
    const servers = [];
    for (const i of instances) {
      const from = Math.max(Date.parse(i.launchedAt ?? i.createdAt), start.getTime());
      const to = Math.min(i.terminatedAt !== null ? Date.parse(i.terminatedAt) : Date.now(), stop.getTime());
      const h = Math.max(0, (to - from) / 3_600_000);
      hours += h;
      vcpuH += h * i.flavor.vcpus;
      memH += h * i.flavor.memoryMb;
      diskH += h * (i.flavor.rootGb + i.flavor.ephemeralGb);
      servers.push({
        instance_id: i.id,
        name: i.name,
        hours: h,
        memory_mb: i.flavor.memoryMb,
        local_gb: i.flavor.rootGb + i.flavor.ephemeralGb,
        vcpus: i.flavor.vcpus,
        tenant_id: i.projectId,
        flavor: i.flavor.name,
        started_at: isoMicro(i.launchedAt ?? i.createdAt),
        ended_at: isoMicro(i.terminatedAt),
        state: i.deleted ? 'terminated' : i.vmState,
        uptime: Math.round(h * 3600),
      });
    }
    return { tenant_id: tenant, total_local_gb_usage: diskH, total_vcpus_usage: vcpuH, total_memory_mb_usage: memH, total_hours: hours, start: isoMicro(start.toISOString()), stop: isoMicro(stop.toISOString()), ...(detailed ? { server_usages: servers } : {}) };
  };
  const usageWindow = (q: Query): { start: Date; stop: Date } => {
    const stop = parseDate(queryString(q, 'end'), 'end') ?? new Date();
    const start = parseDate(queryString(q, 'start'), 'start') ?? new Date(stop.getTime() - 86_400_000);
    if (start > stop) throw new BadRequest('Invalid start time. The start time cannot occur after the end time.', {}, 'InvalidInput');
    return { start, stop };
  };
  const inWindow = (i: Instance, start: Date, stop: Date): boolean => Date.parse(i.createdAt) <= stop.getTime() && (i.terminatedAt === null || Date.parse(i.terminatedAt) >= start.getTime());
  /**
   * 2.40+: one page of instances after `marker` (an instance id), at most `limit`. The CLI asks
   * again after the last instance of each page until a page comes back empty.
   */
  // Paging by marker and limit came with 2.40.
  const usagePage = (list: Instance[], q: Query, v: ApiVersion): { page: Instance[]; full: boolean } => (v.atLeast('2.40') ? markerPage(list, q, (i) => i.id) : { page: list, full: false });
  app.get('/v2.1/os-simple-tenant-usage', async (request) => {
    const ctx = contextOf(request);
    if ((request.url.split('?')[0] ?? '').endsWith('/')) throw new NotFound('The resource could not be found.', {}, 'NotFound');
    ctx.authorize('os_compute_api:os-hypervisors');
    const q = request.query as Query;
    const { start, stop } = usageWindow(q);
    const detailed = queryString(q, 'detailed') === '1';
    const { page, full } = usagePage((await api.instances.list({ includeDeleted: true })).filter((i) => inWindow(i, start, stop)), q, versionOf(request));
    const byTenant = new Map<string, Instance[]>();
    for (const i of page) byTenant.set(i.projectId, [...(byTenant.get(i.projectId) ?? []), i]);
    const next = new URLSearchParams();
    for (const k of Object.keys(q)) if (k !== 'marker') next.set(k, queryString(q, k) ?? '');
    next.set('marker', page[page.length - 1]?.id ?? '');
    const links = full ? { tenant_usages_links: [{ rel: 'next', href: `${baseOf(request)}/v2.1/os-simple-tenant-usage?${next.toString()}` }] } : {};
    return { tenant_usages: [...byTenant].map(([t, list]) => usageOf(list, t, start, stop, detailed)), ...links };
  });
  app.get('/v2.1/os-simple-tenant-usage/:tenant', async (request) => {
    const ctx = contextOf(request);
    const tenant = (request.params as { tenant: string }).tenant;
    ctx.authorize('os_compute_api:os-quota-sets:show', { projectId: tenant });
    const q = request.query as Query;
    const { start, stop } = usageWindow(q);
    const { page } = usagePage((await api.instances.list({ projectId: tenant, includeDeleted: true })).filter((i) => inWindow(i, start, stop)), q, versionOf(request));
    return { tenant_usage: page.length === 0 ? {} : usageOf(page, tenant, start, stop, true) };
  });

  // os-instance_usage_audit_log (admin).
  const auditLog = (start: Date, end: Date): Record<string, unknown> => ({
    hosts_not_run: [],
    log: {},
    num_hosts: 0,
    num_hosts_done: 0,
    num_hosts_not_run: 0,
    num_hosts_running: 0,
    overall_status: 'ALL hosts done. 0 errors.',
    period_beginning: start.toISOString().replace('T', ' ').slice(0, 19),
    period_ending: end.toISOString().replace('T', ' ').slice(0, 19),
    total_errors: 0,
    total_instances: 0,
  });
  app.get('/v2.1/os-instance_usage_audit_log', async (request) => {
    contextOf(request).authorize('os_compute_api:os-hypervisors');
    const end = new Date();
    return { instance_usage_audit_logs: auditLog(new Date(end.getTime() - 30 * 86_400_000), end) };
  });
  app.get('/v2.1/os-instance_usage_audit_log/:before', async (request) => {
    contextOf(request).authorize('os_compute_api:os-hypervisors');
    const before = decodeURIComponent((request.params as { before: string }).before);
    const end = new Date(before.replace(' ', 'T') + (/[zZ]$/.test(before) ? '' : 'Z'));
    if (Number.isNaN(end.getTime())) throw new BadRequest(`Invalid timestamp for date ${before}`, {}, 'InvalidInput');
    return { instance_usage_audit_log: auditLog(new Date(end.getTime() - 30 * 86_400_000), end) };
  });
  void Forbidden;
  void str;
}

function quotaClassView(limits: Record<QuotaResource, number>, v: ApiVersion): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of QUOTA_RESOURCES) {
    if (v.atLeast('2.50') && ['fixed_ips', 'floating_ips', 'security_groups', 'security_group_rules'].includes(r)) continue;
    if (v.atLeast('2.57') && r.startsWith('injected_')) continue;
    if (!v.atLeast('2.50') && (r === 'server_groups' || r === 'server_group_members')) continue;
    out[r] = limits[r];
  }
  return out;
}
