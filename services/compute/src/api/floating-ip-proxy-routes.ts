/** The deprecated floating IP proxy of nova (removed at 2.36): os-floating-ips, os-floating-ip-pools, add/removeFloatingIp, over neutron. */
import type { FastifyInstance } from 'fastify';
import type { RequestContext } from '@strata/auth';
import { BadRequest, Conflict, NotFound, OpenStackError } from '@strata/errors';
import type { ComputeApi } from '../compute-api.js';
import type { Instance } from '../objects/instance.js';
import { proxyContext } from './route-helpers.js';

interface NeutronFip {
  id: string;
  floating_ip_address: string;
  floating_network_id: string;
  fixed_ip_address: string | null;
  port_id: string | null;
}

interface NeutronPort {
  id: string;
  device_id: string;
  fixed_ips: Array<{ ip_address: string }>;
}

/** Register the floating IP proxy routes. */
export function registerFloatingIpProxyRoutes(app: FastifyInstance, api: ComputeApi): void {
  const neutron = <T>(ctx: RequestContext, method: string, path: string, body?: unknown): Promise<T> => api.networks.raw<T>(ctx.authToken, method, path, body, ctx.globalRequestId);
  const view = async (ctx: RequestContext, f: NeutronFip, names?: Map<string, string>): Promise<Record<string, unknown>> => {
    let pool = names?.get(f.floating_network_id);
    if (pool === undefined) pool = (await neutron<{ network: { name: string } }>(ctx, 'GET', `/networks/${f.floating_network_id}`).catch(() => undefined))?.network.name ?? f.floating_network_id;
    let instanceId: string | null = null;
    if (f.port_id !== null) instanceId = (await neutron<{ port: NeutronPort }>(ctx, 'GET', `/ports/${f.port_id}`).catch(() => undefined))?.port.device_id || null;
    return { id: f.id, ip: f.floating_ip_address, pool, fixed_ip: f.fixed_ip_address, instance_id: instanceId };
  };
  const getFip = async (ctx: RequestContext, id: string): Promise<NeutronFip> => {
    try {
      return (await neutron<{ floatingip: NeutronFip }>(ctx, 'GET', `/floatingips/${encodeURIComponent(id)}`)).floatingip;
    } catch (err) {
      if (err instanceof OpenStackError && (err.status === 404 || err.status === 400)) throw new NotFound(`Floating IP not found for ID ${id}`, {}, 'FloatingIpNotFound');
      throw err;
    }
  };
  const externalNetworks = async (ctx: RequestContext): Promise<Array<{ id: string; name: string }>> =>
    (await neutron<{ networks: Array<{ id: string; name: string }> }>(ctx, 'GET', '/networks?router:external=true')).networks;

  app.get('/v2.1/os-floating-ip-pools', async (request) => {
    const ctx = proxyContext(request);
    return { floating_ip_pools: (await externalNetworks(ctx)).map((n) => ({ name: n.name })) };
  });
  app.get('/v2.1/os-floating-ips', async (request) => {
    const ctx = proxyContext(request);
    const fips = (await neutron<{ floatingips: NeutronFip[] }>(ctx, 'GET', `/floatingips?project_id=${ctx.projectId ?? ''}`)).floatingips;
    const names = new Map((await externalNetworks(ctx)).map((n) => [n.id, n.name]));
    const out = [];
    for (const f of fips) out.push(await view(ctx, f, names));
    return { floating_ips: out };
  });
  app.get('/v2.1/os-floating-ips/:id', async (request) => {
    const ctx = proxyContext(request);
    return { floating_ip: await view(ctx, await getFip(ctx, (request.params as { id: string }).id)) };
  });
  app.post('/v2.1/os-floating-ips', async (request) => {
    const ctx = proxyContext(request);
    const poolName = (request.body as { pool?: unknown } | undefined)?.pool;
    const pools = await externalNetworks(ctx);
    const pool = typeof poolName === 'string' ? pools.find((n) => n.name === poolName || n.id === poolName) : pools[0];
    if (pool === undefined) throw new NotFound(`Floating IP pool not found.`, {}, 'FloatingIpPoolNotFound');
    const created = await neutron<{ floatingip: NeutronFip }>(ctx, 'POST', '/floatingips', { floatingip: { floating_network_id: pool.id } });
    return { floating_ip: await view(ctx, created.floatingip) };
  });
  app.delete('/v2.1/os-floating-ips/:id', async (request, reply) => {
    const ctx = proxyContext(request);
    const f = await getFip(ctx, (request.params as { id: string }).id);
    await neutron(ctx, 'DELETE', `/floatingips/${f.id}`);
    return reply.code(202).send();
  });
}

/** Server action addFloatingIp / removeFloatingIp through neutron. */
export async function serverFloatingIp(api: ComputeApi, ctx: RequestContext, i: Instance, add: boolean, arg: unknown): Promise<void> {
  const a = (arg ?? {}) as { address?: unknown; fixed_address?: unknown };
  if (typeof a.address !== 'string' || a.address === '') throw new BadRequest('Address not specified', {}, 'ValidationError');
  const neutron = <T>(method: string, path: string, body?: unknown): Promise<T> => api.networks.raw<T>(ctx.authToken, method, path, body, ctx.globalRequestId);
  const fip = (await neutron<{ floatingips: NeutronFip[] }>('GET', `/floatingips?floating_ip_address=${encodeURIComponent(a.address)}`)).floatingips[0];
  if (fip === undefined) throw new NotFound(`floating IP not found`, {}, 'FloatingIpNotFoundForAddress');
  if (!add) {
    const ports = (await neutron<{ ports: NeutronPort[] }>('GET', `/ports?device_id=${i.id}`)).ports;
    if (fip.port_id === null || !ports.some((p) => p.id === fip.port_id)) throw new Conflict(`Floating IP ${a.address} is not associated with instance ${i.id}.`, {}, 'FloatingIpNotAssociated');
    await neutron('PUT', `/floatingips/${fip.id}`, { floatingip: { port_id: null } });
    return;
  }
  const ports = (await neutron<{ ports: NeutronPort[] }>('GET', `/ports?device_id=${i.id}`)).ports;
  const fixed = typeof a.fixed_address === 'string' ? a.fixed_address : undefined;
  const port = fixed === undefined ? ports[0] : ports.find((p) => p.fixed_ips.some((x) => x.ip_address === fixed));
  if (port === undefined) throw new BadRequest(fixed === undefined ? 'No nw_info cache associated with instance' : `Specified fixed address not assigned to instance`, {}, 'FixedIpNotFoundForInstance');
  const body = { floatingip: { port_id: port.id, ...(fixed !== undefined ? { fixed_ip_address: fixed } : {}) } };
  try {
    await neutron('PUT', `/floatingips/${fip.id}`, body);
  } catch (err) {
    if (err instanceof OpenStackError && err.status >= 400 && err.status < 500) throw new BadRequest(`Unable to associate floating IP ${a.address} to fixed IP for instance ${i.id}: ${err.message}`, {}, 'FloatingIpAssociateFailed');
    throw err;
  }
}
