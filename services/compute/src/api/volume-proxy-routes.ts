/** The deprecated cinder proxies of nova (removed at 2.36): os-volumes and os-snapshots; plus os-tenant-networks and os-virtual-interfaces over neutron. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { contextOf, type RequestContext } from '@strata/auth';
import { BadRequest, NotFound, OpenStackError } from '@strata/errors';
import { queryString, type Query } from '@strata/http';
import type { ComputeApi } from '../compute-api.js';
import { proxyContext, versionOf } from './route-helpers.js';

interface CinderVolume {
  id: string;
  status: string;
  name: string | null;
  description: string | null;
  availability_zone: string;
  created_at: string;
  volume_type: string | null;
  snapshot_id: string | null;
  metadata: Record<string, string>;
  size: number;
  attachments: Array<{ server_id: string; device: string | null; volume_id: string; attachment_id?: string }>;
}

interface CinderSnapshot {
  id: string;
  volume_id: string;
  status: string;
  size: number;
  created_at: string;
  name: string | null;
  description: string | null;
}

function volumeView(v: CinderVolume): Record<string, unknown> {
  return {
    id: v.id,
    status: v.status,
    displayName: v.name,
    availabilityZone: v.availability_zone ?? 'nova',
    createdAt: v.created_at,
    displayDescription: v.description,
    volumeType: v.volume_type,
    snapshotId: v.snapshot_id ?? null,
    metadata: v.metadata ?? {},
    size: Number(v.size),
    attachments: (v.attachments ?? []).length === 0 ? [{}] : v.attachments.map((a) => ({ id: v.id, volumeId: v.id, serverId: a.server_id, device: a.device ?? '' })),
  };
}

function snapshotView(s: CinderSnapshot): Record<string, unknown> {
  return { id: s.id, volumeId: s.volume_id, status: s.status, size: Number(s.size), createdAt: s.created_at, displayName: s.name, displayDescription: s.description };
}

/** Register the volume, tenant network and virtual interface proxies. */
export function registerVolumeProxyRoutes(app: FastifyInstance, api: ComputeApi): void {
  const cinder = <T>(ctx: RequestContext, method: string, path: string, body?: unknown): Promise<T> => api.volumes.raw<T>(ctx.authToken, ctx.projectId ?? '', method, path, body, ctx.globalRequestId);
  const notFound = (what: string) => (err: unknown): never => {
    if (err instanceof OpenStackError && err.status === 404) throw new NotFound(`${what} could not be found.`, {}, 'NotFound');
    throw err;
  };
  const page = <T>(q: Query, list: T[]): T[] => {
    const offset = Number(queryString(q, 'offset') ?? 0);
    const limit = queryString(q, 'limit');
    return list.slice(offset, limit === undefined ? undefined : offset + Number(limit));
  };

  const listVolumes = async (request: FastifyRequest, detail: boolean): Promise<Record<string, unknown>> => {
    const ctx = proxyContext(request);
    if ((request.url.split('?')[0] ?? '').endsWith('/')) throw new NotFound('The resource could not be found.', {}, 'NotFound');
    const b = await cinder<{ volumes: CinderVolume[] }>(ctx, 'GET', '/volumes/detail');
    const vols = page(request.query as Query, b.volumes).map(volumeView);
    return { volumes: detail ? vols : vols };
  };
  app.get('/v2.1/os-volumes', async (request) => listVolumes(request, false));
  app.get('/v2.1/os-volumes/detail', async (request) => listVolumes(request, true));
  app.get('/v2.1/os-volumes/:id', async (request) => {
    const ctx = proxyContext(request);
    const id = (request.params as { id: string }).id;
    return { volume: volumeView((await cinder<{ volume: CinderVolume }>(ctx, 'GET', `/volumes/${encodeURIComponent(id)}`).catch(notFound(`Volume ${id}`))).volume) };
  });
  app.post('/v2.1/os-volumes', async (request) => {
    const ctx = proxyContext(request);
    const v = (request.body as { volume?: Record<string, unknown> } | undefined)?.volume;
    if (v === undefined || v === null || typeof v !== 'object') throw new BadRequest('volume not specified', {}, 'ValidationError');
    const size = typeof v.size === 'number' ? v.size : typeof v.size === 'string' && /^\d+$/.test(v.size) ? Number(v.size) : NaN;
    if (!Number.isInteger(size) || size < 1) throw new BadRequest(`Invalid input for field/attribute size. Value: ${JSON.stringify(v.size)}.`, {}, 'ValidationError');
    const body = {
      volume: {
        size,
        ...(typeof v.display_name === 'string' ? { name: v.display_name } : {}),
        ...(typeof v.display_description === 'string' ? { description: v.display_description } : {}),
        ...(typeof v.volume_type === 'string' ? { volume_type: v.volume_type } : {}),
        ...(typeof v.snapshot_id === 'string' ? { snapshot_id: v.snapshot_id } : {}),
        ...(typeof v.availability_zone === 'string' ? { availability_zone: v.availability_zone } : {}),
        ...(v.metadata !== undefined ? { metadata: v.metadata } : {}),
      },
    };
    const created = await cinder<{ volume: CinderVolume }>(ctx, 'POST', '/volumes', body);
    return { volume: volumeView(created.volume) };
  });
  app.delete('/v2.1/os-volumes/:id', async (request, reply) => {
    const ctx = proxyContext(request);
    const id = (request.params as { id: string }).id;
    await cinder(ctx, 'DELETE', `/volumes/${encodeURIComponent(id)}`).catch(notFound(`Volume ${id}`));
    return reply.code(202).send();
  });

  const listSnapshots = async (request: FastifyRequest): Promise<Record<string, unknown>> => {
    const ctx = proxyContext(request);
    const b = await cinder<{ snapshots: CinderSnapshot[] }>(ctx, 'GET', '/snapshots/detail');
    return { snapshots: page(request.query as Query, b.snapshots).map(snapshotView) };
  };
  app.get('/v2.1/os-snapshots', async (request) => listSnapshots(request));
  app.get('/v2.1/os-snapshots/detail', async (request) => listSnapshots(request));
  app.get('/v2.1/os-snapshots/:id', async (request) => {
    const ctx = proxyContext(request);
    const id = (request.params as { id: string }).id;
    return { snapshot: snapshotView((await cinder<{ snapshot: CinderSnapshot }>(ctx, 'GET', `/snapshots/${encodeURIComponent(id)}`).catch(notFound(`Snapshot ${id}`))).snapshot) };
  });
  app.post('/v2.1/os-snapshots', async (request) => {
    const ctx = proxyContext(request);
    const s = (request.body as { snapshot?: Record<string, unknown> } | undefined)?.snapshot;
    if (s === undefined || s === null || typeof s.volume_id !== 'string') throw new BadRequest('snapshot volume_id not specified', {}, 'ValidationError');
    const body = { snapshot: { volume_id: s.volume_id, force: s.force === true || s.force === 'true' || s.force === 'True', ...(typeof s.display_name === 'string' ? { name: s.display_name } : {}), ...(typeof s.display_description === 'string' ? { description: s.display_description } : {}) } };
    const created = await cinder<{ snapshot: CinderSnapshot }>(ctx, 'POST', '/snapshots', body);
    return { snapshot: snapshotView(created.snapshot) };
  });
  app.delete('/v2.1/os-snapshots/:id', async (request, reply) => {
    const ctx = proxyContext(request);
    const id = (request.params as { id: string }).id;
    await cinder(ctx, 'DELETE', `/snapshots/${encodeURIComponent(id)}`).catch(notFound(`Snapshot ${id}`));
    return reply.code(202).send();
  });

  // os-tenant-networks over neutron.
  const netView = async (ctx: RequestContext, n: { id: string; name: string; subnets: string[] }): Promise<Record<string, unknown>> => {
    let cidr: string | null = null;
    const first = n.subnets[0];
    if (first !== undefined) cidr = (await api.networks.raw<{ subnet: { cidr: string } }>(ctx.authToken, 'GET', `/subnets/${first}`, undefined, ctx.globalRequestId).catch(() => undefined))?.subnet.cidr ?? null;
    return { id: n.id, label: n.name, cidr };
  };
  app.get('/v2.1/os-tenant-networks', async (request) => {
    const ctx = proxyContext(request);
    const b = await api.networks.raw<{ networks: Array<{ id: string; name: string; subnets: string[]; 'router:external'?: boolean }> }>(ctx.authToken, 'GET', '/networks', undefined, ctx.globalRequestId).catch(() => ({ networks: [] }));
    const out = [];
    for (const n of b.networks) if (n['router:external'] !== true) out.push(await netView(ctx, n));
    return { networks: out };
  });
  app.get('/v2.1/os-tenant-networks/:id', async (request) => {
    const ctx = proxyContext(request);
    const id = (request.params as { id: string }).id;
    const b = await api.networks.raw<{ network: { id: string; name: string; subnets: string[] } }>(ctx.authToken, 'GET', `/networks/${encodeURIComponent(id)}`, undefined, ctx.globalRequestId).catch(notFound(`Network ${id}`));
    return { network: await netView(ctx, b.network) };
  });

  // os-networks (admin; nova-network's API shown over neutron).
  const adminNet = async (ctx: RequestContext, n: { id: string; name: string; subnets: string[] }): Promise<Record<string, unknown>> => {
    const base = await netView(ctx, n);
    return { ...base, cidr_v6: null, dhcp_start: null, gateway: null, gateway_v6: null, netmask: null, netmask_v6: null, bridge: null, vlan: null, mtu: null, project_id: null, multi_host: null, share_address: null, injected: null, dns1: null, dns2: null, host: null, vpn_private_address: null, vpn_public_address: null, vpn_public_port: null, broadcast: null, deleted: null, deleted_at: null, created_at: null, updated_at: null, priority: null, rxtx_base: null, enable_dhcp: null, dhcp_server: null, bridge_interface: null };
  };
  app.get('/v2.1/os-networks', async (request) => {
    const ctx = proxyContext(request);
    ctx.authorize('os_compute_api:os-hypervisors');
    const b = await api.networks.raw<{ networks: Array<{ id: string; name: string; subnets: string[] }> }>(ctx.authToken, 'GET', '/networks', undefined, ctx.globalRequestId).catch(() => ({ networks: [] }));
    const out = [];
    for (const n of b.networks) out.push(await adminNet(ctx, n));
    return { networks: out };
  });
  app.get('/v2.1/os-networks/:id', async (request) => {
    const ctx = proxyContext(request);
    ctx.authorize('os_compute_api:os-hypervisors');
    const id = (request.params as { id: string }).id;
    const b = await api.networks.raw<{ network: { id: string; name: string; subnets: string[] } }>(ctx.authToken, 'GET', `/networks/${encodeURIComponent(id)}`, undefined, ctx.globalRequestId).catch(notFound(`Network ${id}`));
    return { network: await adminNet(ctx, b.network) };
  });

  // os-virtual-interfaces (removed at 2.44): the server's ports.
  app.get('/v2.1/servers/:id/os-virtual-interfaces', async (request) => {
    if (versionOf(request).atLeast('2.44')) throw new NotFound('The resource could not be found.', {}, 'NotFound');
    const ctx = contextOf(request);
    const i = await api.getServer(ctx, (request.params as { id: string }).id);
    ctx.authorize('os_compute_api:servers:show', { projectId: i.projectId });
    if (await api.networks.available(ctx.authToken)) throw new BadRequest('Listing virtual interfaces is not supported by this cloud.', {}, 'NotSupportedWithOption');
    return { virtual_interfaces: i.networkInfo.map((p) => ({ id: p.portId, mac_address: p.macAddress, ...(versionOf(request).atLeast('2.12') ? { net_id: p.networkId } : {}) })) };
  });
}
