/** /v2.0/ports (FLOW.md step 28 when nova, or any service, passes its global request id). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { NetworkApis } from './apis.js';
import { callerOf, filterValues, locationOf, ownerOf } from './route-helpers.js';
import { registerResourceRoutes } from './resource-routes.js';
import { listResponse, parseListQuery } from './list-query.js';
import { portView } from './ports-view.js';
import type { PortInput } from '../port-api.js';
import type { Port } from '../objects/port.js';
import type { NeutronContext } from '../neutron-context.js';
import { mark, SERVER } from '../server/flow.js';

const PORT_ATTRS = [
  'name', 'description', 'network_id', 'admin_state_up', 'mac_address', 'fixed_ips', 'device_id', 'device_owner', 'security_groups', 'port_security_enabled',
  'allowed_address_pairs', 'extra_dhcp_opts', 'binding:host_id', 'binding:profile', 'binding:vnic_type', 'tags', 'project_id', 'tenant_id', 'id', 'status',
];

function portInput(b: Record<string, unknown>): PortInput {
  return {
    ...ownerOf(b),
    networkId: b.network_id,
    name: b.name,
    description: b.description,
    adminStateUp: b.admin_state_up,
    macAddress: b.mac_address,
    fixedIps: b.fixed_ips,
    deviceId: b.device_id,
    deviceOwner: b.device_owner,
    securityGroups: b.security_groups,
    portSecurityEnabled: b.port_security_enabled,
    allowedAddressPairs: b.allowed_address_pairs,
    extraDhcpOpts: b.extra_dhcp_opts,
    bindingHostId: b['binding:host_id'],
    bindingProfile: b['binding:profile'],
    bindingVnicType: b['binding:vnic_type'],
    tags: b.tags,
  };
}

/** Filters applied in SQL exactly as neutron defines them. */
const PUSHED = new Set(['id', 'network_id', 'device_id', 'device_owner', 'name', 'project_id', 'tenant_id']);

/** Record step 28 (a service asking neutron-server for ports) around a traced request. */
async function asked<T>(request: FastifyRequest, ctx: NeutronContext, what: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    const r = await fn();
    mark(ctx.trace, 28, SERVER, 'http', `${request.method} ${what}`, started);
    return r;
  } catch (err) {
    mark(ctx.trace, 28, SERVER, 'http', (err as Error).message, started, 'error');
    throw err;
  }
}

/** Register the port routes. */
export function registerPortRoutes(app: FastifyInstance, apis: NetworkApis): void {
  const { ports, tracer } = apis;

  // NOTE: the list is traced as a whole (filters, load and list semantics), so it is not a standard resource route.
  app.get('/v2.0/ports', async (request) => {
    const ctx = callerOf(request, tracer);
    return asked(request, ctx, '/v2.0/ports', async () => {
      const admin = ctx.can('get_port:binding');
      const ids = filterValues(request, 'id');
      const nets = filterValues(request, 'network_id');
      const devices = filterValues(request, 'device_id');
      const owners = filterValues(request, 'device_owner');
      const macs = filterValues(request, 'mac_address');
      const names = filterValues(request, 'name');
      const projects = filterValues(request, 'project_id') ?? filterValues(request, 'tenant_id');
      const hosts = admin ? filterValues(request, 'binding:host_id') : undefined;
      const lq = parseListQuery(request.query as never);
      const fixed = filterValues(request, 'fixed_ips') ?? [];
      const fixedOf = (k: string) => fixed.filter((f) => f.startsWith(`${k}=`)).map((f) => f.slice(k.length + 1));
      const ips = fixedOf('ip_address');
      const subnets = fixedOf('subnet_id');
      // NOTE: with only SQL-level filters and the default (id) order, the page itself is read in SQL.
      const sqlPage = lq.limit !== undefined && lq.sorts.length === 0 && !lq.pageReverse && [...lq.filters.keys()].every((k) => PUSHED.has(k));
      const list = await ports.list(ctx, {
        ...(ips.length > 0 ? { ipAddresses: ips } : {}),
        ...(subnets.length > 0 ? { subnetIds: subnets } : {}),
        ...(sqlPage ? { limit: (lq.limit ?? 0) + 1, ...(lq.marker !== undefined ? { afterId: lq.marker } : {}) } : {}),
        ...(ids ? { ids } : {}),
        ...(nets ? { networkIds: nets } : {}),
        ...(devices ? { deviceIds: devices } : {}),
        ...(owners ? { deviceOwners: owners } : {}),
        ...(macs ? { macAddresses: macs.map((m) => m.toLowerCase()) } : {}),
        ...(names ? { names } : {}),
        ...(projects ? { projectIds: projects } : {}),
        ...(hosts ? { hosts } : {}),
      });
      return listResponse(list.map((p) => portView(p, admin)), lq, locationOf(request, 'ports'));
    });
  });

  registerResourceRoutes<Port>(app, tracer, {
    path: 'ports',
    member: 'port',
    view: (ctx, list) => {
      const admin = ctx.can('get_port:binding');
      return list.map((p) => portView(p, admin));
    },
    get: (ctx, id, request) => asked(request, ctx, `/v2.0/ports/${id}`, () => ports.get(ctx, id)),
    create: { attrs: PORT_ATTRS, bulk: (ctx, bodies, request) => asked(request, ctx, '/v2.0/ports', () => ports.create(ctx, bodies.map(portInput))) },
    update: {
      attrs: PORT_ATTRS.filter((a) => a !== 'project_id' && a !== 'tenant_id'),
      run: (ctx, id, b, request) => asked(request, ctx, `/v2.0/ports/${id}`, () => ports.update(ctx, id, portInput(b))),
    },
    delete: (ctx, id, request) => asked(request, ctx, `/v2.0/ports/${id}`, () => ports.delete(ctx, id)),
  });
}
