/** os-availability-zone, os-services, os-hypervisors (+statistics), os-server-external-events, extensions. */
import type { FastifyInstance } from 'fastify';
import { contextOf } from '@strata/auth';
import { BadRequest, NotFound, OpenStackError } from '@strata/errors';
import { queryString, type Query } from '@strata/http';
import type { ComputeApi } from '../compute-api.js';
import { serviceIsUp, type ComputeNode, type ServiceRecord } from '../objects/service-record.js';
import type { ApiVersion } from './microversion.js';
import { baseOf, invalid, isUuid, versionOf } from './route-helpers.js';
import { isoMicro } from './view-helpers.js';

function serviceView(api: ComputeApi, s: ServiceRecord, v: ApiVersion, zone: string): Record<string, unknown> {
  return {
    id: v.atLeast('2.53') ? s.uuid : s.numId,
    binary: s.binary,
    host: s.host,
    zone,
    status: s.disabled ? 'disabled' : 'enabled',
    state: serviceIsUp(s, api.serviceDownTimeMs) ? 'up' : 'down',
    updated_at: isoMicro(s.updatedAt),
    disabled_reason: s.disabledReason,
    ...(v.atLeast('2.11') ? { forced_down: s.forcedDown } : {}),
  };
}

function hypervisorView(n: ComputeNode, s: ServiceRecord | undefined, v: ApiVersion, detail: boolean, api: ComputeApi): Record<string, unknown> {
  const base: Record<string, unknown> = {
    id: v.atLeast('2.53') ? n.uuid : n.numId,
    hypervisor_hostname: n.hypervisorHostname,
    state: s !== undefined && serviceIsUp(s, api.serviceDownTimeMs) ? 'up' : 'down',
    status: s?.disabled === true ? 'disabled' : 'enabled',
  };
  if (!detail) return base;
  const service = { host: n.host, id: s === undefined ? null : v.atLeast('2.53') ? s.uuid : s.numId, disabled_reason: s?.disabledReason ?? null };
  // 2.88: the resource figures (placement's business) and cpu_info are gone; uptime joins.
  if (v.atLeast('2.88')) return { ...base, hypervisor_type: n.hypervisorType, hypervisor_version: n.hypervisorVersion, host_ip: n.hostIp, service, uptime: uptimeText() };
  let cpuInfo: unknown = n.cpuInfo;
  if (v.atLeast('2.28')) {
    try {
      cpuInfo = JSON.parse(n.cpuInfo);
    } catch {
      cpuInfo = {};
    }
  }
  return {
    ...base,
    vcpus: n.vcpus,
    memory_mb: n.memoryMb,
    local_gb: n.localGb,
    vcpus_used: n.vcpusUsed,
    memory_mb_used: n.memoryMbUsed,
    local_gb_used: n.localGbUsed,
    hypervisor_type: n.hypervisorType,
    hypervisor_version: n.hypervisorVersion,
    free_ram_mb: n.memoryMb - n.memoryMbUsed,
    free_disk_gb: n.localGb - n.localGbUsed,
    current_workload: 0,
    running_vms: n.runningVms,
    cpu_info: cpuInfo,
    disk_available_least: n.localGb - n.localGbUsed,
    host_ip: n.hostIp,
    service,
  };
}

/** What `uptime` prints, as the hypervisor reports it. */
function uptimeText(): string {
  return ` ${new Date().toISOString().slice(11, 19)} up 1 day,  1 user,  load average: 0.00, 0.00, 0.00`;
}

/** 404 from microversion `v` on (an API nova removed). */
function goneSince(request: import('fastify').FastifyRequest, v: string): void {
  if (versionOf(request).atLeast(v)) throw new NotFound('The resource could not be found.', {}, 'NotFound');
}

/** Register the admin-side os-* routes. */
export function registerOsAdminRoutes(app: FastifyInstance, api: ComputeApi): void {
  const zoneOf = (): Promise<Map<string, string>> => api.hostZones();

  app.get('/v2.1/os-availability-zone', async (request) => {
    contextOf(request).authorize('os_compute_api:os-availability-zone:list');
    const zones = new Set((await api.hostZones()).values());
    if (zones.size === 0) zones.add(api.defaultAvailabilityZone);
    return { availabilityZoneInfo: [...zones].map((z) => ({ zoneName: z, zoneState: { available: true }, hosts: null })) };
  });
  app.get('/v2.1/os-availability-zone/detail', async (request) => {
    contextOf(request).authorize('os_compute_api:os-availability-zone:detail');
    const services = await api.services.listServices();
    const zones = await zoneOf();
    const info = new Map<string, Record<string, Record<string, unknown>>>();
    for (const s of services) {
      const zone = s.binary === 'nova-compute' ? (zones.get(s.host) ?? api.defaultAvailabilityZone) : 'internal';
      const hosts = info.get(zone) ?? {};
      info.set(zone, hosts);
      hosts[s.host] = { ...(hosts[s.host] ?? {}), [s.binary]: { available: !s.disabled && serviceIsUp(s, api.serviceDownTimeMs), active: !s.disabled, updated_at: isoMicro(s.updatedAt) } };
    }
    return { availabilityZoneInfo: [...info].map(([zoneName, hosts]) => ({ zoneName, zoneState: { available: true }, hosts })) };
  });

  // os-services.
  app.get('/v2.1/os-services', async (request) => {
    contextOf(request).authorize('os_compute_api:os-services');
    const v = versionOf(request);
    const q = request.query as Query;
    // 2.75: unknown query parameters are an error instead of being ignored.
    if (v.atLeast('2.75')) for (const k of Object.keys(q)) if (k !== 'host' && k !== 'binary') throw new BadRequest(`Invalid input for query parameters ${k}. Value: ${String(q[k])}. Additional properties are not allowed ('${k}' was unexpected)`, {}, 'ValidationError');
    const host = queryString(q, 'host');
    const binary = queryString(q, 'binary');
    const zones = await zoneOf();
    const list = await api.services.listServices({ ...(host !== undefined ? { host } : {}), ...(binary !== undefined ? { binary } : {}) });
    return { services: list.map((s) => serviceView(api, s, v, s.binary === 'nova-compute' ? (zones.get(s.host) ?? api.defaultAvailabilityZone) : 'internal')) };
  });
  const legacyUpdate = async (body: Record<string, unknown>, action: string): Promise<Record<string, unknown>> => {
    const host = body.host;
    const binary = body.binary;
    if (typeof host !== 'string' || typeof binary !== 'string') throw invalid('host', "'host' and 'binary' are required properties");
    const s = (await api.services.listServices({ host, binary }))[0];
    if (s === undefined) throw new NotFound(`Service ${binary} on host ${host} could not be found.`, {}, 'ServiceNotFound');
    if (action === 'enable') await api.services.updateService(s.uuid, { disabled: false, disabledReason: null });
    if (action === 'disable') await api.services.updateService(s.uuid, { disabled: true });
    if (action === 'disable-log-reason') {
      if (typeof body.disabled_reason !== 'string' || body.disabled_reason.length > 255) throw invalid('disabled_reason', 'is required');
      await api.services.updateService(s.uuid, { disabled: true, disabledReason: body.disabled_reason });
      return { service: { host, binary, status: 'disabled', disabled_reason: body.disabled_reason } };
    }
    if (action === 'force-down') {
      const fd = body.forced_down;
      if (typeof fd !== 'boolean') throw invalid('forced_down', "'forced_down' is a required property");
      await api.services.updateService(s.uuid, { forcedDown: fd });
      return { service: { host, binary, forced_down: fd } };
    }
    return { service: { host, binary, status: action === 'enable' ? 'enabled' : 'disabled' } };
  };
  app.put('/v2.1/os-services/:id', async (request) => {
    contextOf(request).authorize('os_compute_api:os-services');
    const v = versionOf(request);
    const { id } = request.params as { id: string };
    const body = (request.body ?? {}) as Record<string, unknown>;
    if (!v.atLeast('2.53')) {
      if (!['enable', 'disable', 'disable-log-reason', 'force-down'].includes(id) || (id === 'force-down' && !v.atLeast('2.11'))) throw new NotFound('Unknown action', {}, 'NotFound');
      return legacyUpdate(body, id);
    }
    if (!isUuid(id)) throw new BadRequest(`Invalid uuid ${id}`, {}, 'InvalidUUID');
    const s = await api.services.getService(id);
    const changes: { disabled?: boolean; disabledReason?: string | null; forcedDown?: boolean } = {};
    if (body.status !== undefined) {
      if (body.status !== 'enabled' && body.status !== 'disabled') throw invalid('status', `${JSON.stringify(body.status)} is not one of ['enabled', 'disabled']`);
      changes.disabled = body.status === 'disabled';
      changes.disabledReason = body.status === 'disabled' && typeof body.disabled_reason === 'string' ? body.disabled_reason : null;
    } else if (body.disabled_reason !== undefined) throw new BadRequest('Specifying a disabled_reason is only supported when the status is disabled.', {}, 'ValidationError');
    if (body.forced_down !== undefined) {
      if (typeof body.forced_down !== 'boolean') throw invalid('forced_down', 'is not a boolean');
      changes.forcedDown = body.forced_down;
    }
    if (Object.keys(changes).length === 0) throw new BadRequest('No updates were requested. Fields which can be updated are: status, forced_down', {}, 'ValidationError');
    const updated = await api.services.updateService(s.uuid, changes);
    const zones = await zoneOf();
    return { service: serviceView(api, updated, v, updated.binary === 'nova-compute' ? (zones.get(updated.host) ?? api.defaultAvailabilityZone) : 'internal') };
  });
  app.delete('/v2.1/os-services/:id', async (request, reply) => {
    contextOf(request).authorize('os_compute_api:os-services');
    const v = versionOf(request);
    const { id } = request.params as { id: string };
    if (v.atLeast('2.53') ? !isUuid(id) : !/^\d+$/.test(id)) throw new (v.atLeast('2.53') ? BadRequest : NotFound)(`Invalid service id ${id}`);
    const s = await api.services.getService(id);
    await api.services.deleteService(s.uuid);
    return reply.code(204).send();
  });

  // os-hypervisors.
  const nodesWithServices = async (): Promise<Array<{ n: ComputeNode; s: ServiceRecord | undefined }>> => {
    const services = new Map((await api.services.listServices({ binary: 'nova-compute' })).map((s) => [s.host, s]));
    return (await api.services.listNodes()).map((n) => ({ n, s: services.get(n.host) }));
  };
  const listHypervisors = async (request: import('fastify').FastifyRequest, detail: boolean): Promise<Record<string, unknown>> => {
    contextOf(request).authorize('os_compute_api:os-hypervisors');
    const v = versionOf(request);
    const q = request.query as Query;
    let list = await nodesWithServices();
    const pattern = v.atLeast('2.53') ? queryString(q, 'hypervisor_hostname_pattern') : undefined;
    if (pattern !== undefined) {
      list = list.filter(({ n }) => n.hypervisorHostname.includes(pattern));
      if (list.length === 0) throw new NotFound(`No hypervisor matching '${pattern}' could be found.`, {}, 'HypervisorNotFound');
    }
    const marker = v.atLeast('2.33') ? queryString(q, 'marker') : undefined;
    if (marker !== undefined) {
      const idx = list.findIndex(({ n }) => n.uuid === marker || String(n.numId) === marker);
      if (idx < 0) throw new BadRequest(`marker [${marker}] not found`, {}, 'MarkerNotFound');
      list = list.slice(idx + 1);
    }
    const limit = v.atLeast('2.33') ? queryString(q, 'limit') : undefined;
    if (limit !== undefined) list = list.slice(0, Number(limit));
    const withServers = v.atLeast('2.53') && queryString(q, 'with_servers') === 'true';
    const out = [];
    for (const { n, s } of list) {
      const view = hypervisorView(n, s, v, detail, api);
      if (withServers) view.servers = (await api.instances.list({ host: n.host })).map((i) => ({ uuid: i.id, name: `instance-${i.id.slice(0, 8)}` }));
      out.push(view);
    }
    const links = limit !== undefined && out.length === Number(limit) && out.length > 0 ? { hypervisors_links: [{ rel: 'next', href: `${baseOf(request)}/v2.1/os-hypervisors${detail ? '/detail' : ''}?limit=${limit}&marker=${String(out[out.length - 1]?.id)}` }] } : {};
    return { hypervisors: out, ...links };
  };
  app.get('/v2.1/os-hypervisors', async (request) => listHypervisors(request, false));
  app.get('/v2.1/os-hypervisors/detail', async (request) => listHypervisors(request, true));
  app.get('/v2.1/os-hypervisors/statistics', async (request) => {
    contextOf(request).authorize('os_compute_api:os-hypervisors');
    goneSince(request, '2.88');
    const list = await nodesWithServices();
    const sum = (f: (n: ComputeNode) => number): number => list.reduce((a, { n }) => a + f(n), 0);
    return {
      hypervisor_statistics: {
        count: list.length,
        vcpus: sum((n) => n.vcpus),
        memory_mb: sum((n) => n.memoryMb),
        local_gb: sum((n) => n.localGb),
        vcpus_used: sum((n) => n.vcpusUsed),
        memory_mb_used: sum((n) => n.memoryMbUsed),
        local_gb_used: sum((n) => n.localGbUsed),
        free_ram_mb: sum((n) => n.memoryMb - n.memoryMbUsed),
        free_disk_gb: sum((n) => n.localGb - n.localGbUsed),
        current_workload: 0,
        running_vms: sum((n) => n.runningVms),
        disk_available_least: sum((n) => n.localGb - n.localGbUsed),
      },
    };
  });
  app.get('/v2.1/os-hypervisors/:id', async (request) => {
    contextOf(request).authorize('os_compute_api:os-hypervisors');
    const v = versionOf(request);
    const { id } = request.params as { id: string };
    if (v.atLeast('2.53') && !isUuid(id)) throw new BadRequest(`Invalid uuid ${id}`, {}, 'InvalidUUID');
    const n = await api.services.getNode(id);
    const s = (await api.services.listServices({ host: n.host, binary: 'nova-compute' }))[0];
    const view = hypervisorView(n, s, v, true, api);
    if (v.atLeast('2.53') && queryString(request.query as Query, 'with_servers') === 'true') view.servers = (await api.instances.list({ host: n.host })).map((i) => ({ uuid: i.id, name: `instance-${i.id.slice(0, 8)}` }));
    return { hypervisor: view };
  });
  app.get('/v2.1/os-hypervisors/:id/uptime', async (request) => {
    contextOf(request).authorize('os_compute_api:os-hypervisors');
    goneSince(request, '2.88');
    const v = versionOf(request);
    const n = await api.services.getNode((request.params as { id: string }).id);
    const s = (await api.services.listServices({ host: n.host, binary: 'nova-compute' }))[0];
    return { hypervisor: { ...hypervisorView(n, s, v, false, api), uptime: uptimeText() } };
  });
  const byPattern = async (request: import('fastify').FastifyRequest, servers: boolean): Promise<Record<string, unknown>> => {
    contextOf(request).authorize('os_compute_api:os-hypervisors');
    const v = versionOf(request);
    if (v.atLeast('2.53')) throw new NotFound('The resource could not be found.', {}, 'NotFound');
    const pattern = (request.params as { pattern: string }).pattern;
    const list = (await nodesWithServices()).filter(({ n }) => n.hypervisorHostname.includes(pattern));
    if (list.length === 0) throw new NotFound(`No hypervisor matching '${pattern}' could be found.`, {}, 'HypervisorNotFound');
    const out = [];
    for (const { n, s } of list) {
      const view = hypervisorView(n, s, v, false, api);
      if (servers) {
        const inst = await api.instances.list({ host: n.host });
        if (inst.length > 0) view.servers = inst.map((i) => ({ uuid: i.id, name: `instance-${i.id.slice(0, 8)}` }));
      }
      out.push(view);
    }
    return { hypervisors: out };
  };
  app.get('/v2.1/os-hypervisors/:pattern/search', async (request) => byPattern(request, false));
  app.get('/v2.1/os-hypervisors/:pattern/servers', async (request) => byPattern(request, true));

  // os-server-external-events (neutron's network-vif-plugged, cinder's volume-extended).
  app.post('/v2.1/os-server-external-events', async (request, reply) => {
    const ctx = contextOf(request);
    ctx.authorize('os_compute_api:os-server-external-events:create');
    const b = request.body as { events?: unknown } | undefined;
    if (b === undefined || !Array.isArray(b.events) || b.events.length === 0) throw invalid('events', "'events' is a required property");
    const v = versionOf(request);
    const names = ['network-changed', 'network-vif-plugged', 'network-vif-unplugged', 'network-vif-deleted', ...(v.atLeast('2.51') ? ['volume-extended'] : []), ...(v.atLeast('2.76') ? ['power-update'] : []), ...(v.atLeast('2.82') ? ['accelerator-request-bound'] : []), ...(v.atLeast('2.93') ? ['volume-reimaged'] : [])];
    const events = b.events.map((e) => {
      const ev = e as { name?: unknown; server_uuid?: unknown; tag?: unknown; status?: unknown };
      if (typeof ev.name !== 'string' || !names.includes(ev.name)) throw invalid('name', `${JSON.stringify(ev.name)} is not one of ${JSON.stringify(names)}`);
      if (typeof ev.server_uuid !== 'string') throw invalid('server_uuid', "'server_uuid' is a required property");
      if (ev.status !== undefined && !['failed', 'completed', 'in-progress'].includes(String(ev.status))) throw invalid('status', `${JSON.stringify(ev.status)} is not valid`);
      if (ev.name === 'power-update' && ev.tag !== 'POWER_ON' && ev.tag !== 'POWER_OFF') throw new BadRequest(`Invalid input for field/attribute tag. Value: ${String(ev.tag)}. power-update events need the tag POWER_ON or POWER_OFF`, {}, 'ValidationError');
      return { name: ev.name, server_uuid: ev.server_uuid, ...(typeof ev.tag === 'string' ? { tag: ev.tag } : {}), ...(typeof ev.status === 'string' ? { status: ev.status } : {}) };
    });
    const result = await api.externalEvents(ctx, events);
    if (result.every((r) => r.code === 404)) throw new NotFound('No instances found for any event', {}, 'NotFound');
    return reply.code(result.every((r) => r.code === 200) ? 200 : 207).send({ events: result });
  });

  // os-consoles (the XenAPI console proxy) was removed from nova; its routes answer 410 Gone.
  const gone = async (): Promise<never> => {
    throw new OpenStackError(410, 'Gone', 'This resource is no longer available.  No forwarding address is given.');
  };
  app.get('/v2.1/servers/:id/consoles', gone);
  app.post('/v2.1/servers/:id/consoles', gone);
  app.get('/v2.1/servers/:id/consoles/:consoleId', gone);
  app.delete('/v2.1/servers/:id/consoles/:consoleId', gone);

  const extensions = EXTENSIONS.map(([name, alias, description]) => ({ name, alias, description, namespace: `http://docs.openstack.org/compute/ext/fake_xml`, updated: '2014-12-03T00:00:00Z', links: [] }));
  app.get('/v2.1/extensions', async (request) => {
    contextOf(request).authorize('os_compute_api:os-availability-zone:list');
    return { extensions };
  });
  app.get('/v2.1/extensions/:alias', async (request) => {
    contextOf(request).authorize('os_compute_api:os-availability-zone:list');
    const e = extensions.find((x) => x.alias === (request.params as { alias: string }).alias);
    if (e === undefined) throw new NotFound('Extension could not be found.', {}, 'ExtensionNotFound');
    return { extension: e };
  });
}

/** nova's legacy v2.1 extension list (name, alias, description), frozen since microversions replaced it. */
const EXTENSIONS: ReadonlyArray<readonly [string, string, string]> = [
  ['AccessIPs', 'os-access-ips', 'Access IPs support.'],
  ['AdminActions', 'os-admin-actions', 'Enable admin-only server actions'],
  ['AdminPassword', 'os-admin-password', 'Admin password management support.'],
  ['Aggregates', 'os-aggregates', 'Admin-only aggregate administration.'],
  ['AttachInterfaces', 'os-attach-interfaces', 'Attach interface support.'],
  ['AvailabilityZone', 'os-availability-zone', '1. Add availability_zone to the Create Server API. 2. Add availability zones describing.'],
  ['ConsoleOutput', 'os-console-output', 'Console log output support, with tailing ability.'],
  ['Consoles', 'os-consoles', 'Interactive Console support.'],
  ['CreateBackup', 'os-create-backup', 'Create a backup of a server.'],
  ['DiskConfig', 'os-disk-config', 'Disk Management Extension.'],
  ['ExtendedAvailabilityZone', 'os-extended-availability-zone', 'Extended Availability Zone support.'],
  ['ExtendedServerAttributes', 'os-extended-server-attributes', 'Extended Server Attributes support.'],
  ['ExtendedStatus', 'os-extended-status', 'Extended Status support.'],
  ['ExtendedVolumes', 'os-extended-volumes', 'Extended Volumes support.'],
  ['FlavorAccess', 'os-flavor-access', 'Flavor access support.'],
  ['FlavorExtraSpecs', 'os-flavor-extra-specs', 'Flavors extra specs support.'],
  ['FlavorManage', 'os-flavor-manage', 'Flavor create/delete API support.'],
  ['Flavors', 'flavors', 'Flavors Extension.'],
  ['Hosts', 'os-hosts', 'Admin-only host administration.'],
  ['Hypervisors', 'os-hypervisors', 'Admin-only hypervisor administration.'],
  ['Images', 'images', 'Images Extension.'],
  ['InstanceActions', 'os-instance-actions', 'View a log of actions and events taken on an instance.'],
  ['Keypairs', 'os-keypairs', 'Keypair Support.'],
  ['LockServer', 'os-lock-server', 'Enable lock/unlock server actions.'],
  ['Migrations', 'os-migrations', 'Provide data on migrations.'],
  ['PauseServer', 'os-pause-server', 'Enable pause/unpause server actions.'],
  ['QuotaClasses', 'os-quota-class-sets', 'Quota classes management support.'],
  ['Quotas', 'os-quota-sets', 'Quotas management support.'],
  ['Rescue', 'os-rescue', 'Instance rescue mode.'],
  ['ServerGroups', 'os-server-groups', 'Server group support.'],
  ['ServerMetadata', 'server-metadata', 'Server metadata Support.'],
  ['ServerUsage', 'os-server-usage', 'Adds launched_at and terminated_at on Servers.'],
  ['Servers', 'servers', 'Servers.'],
  ['Services', 'os-services', 'Services support.'],
  ['Shelve', 'os-shelve', 'Instance shelve mode.'],
  ['SimpleTenantUsage', 'os-simple-tenant-usage', 'Simple tenant usage extension.'],
  ['SuspendServer', 'os-suspend-server', 'Enable suspend/resume server actions.'],
  ['Versions', 'versions', 'API Version information.'],
  ['VolumeAttachmentUpdate', 'os-volume-attachment-update', 'Support for updating a volume attachment.'],
];
