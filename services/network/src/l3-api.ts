/** Routers, interfaces, gateways, extra routes and floating IPs, as neutron's l3_db does. */
import type { NeutronContext } from './neutron-context.js';
import { Effects, type PluginCore } from './plugin-core.js';
import type { NetworkDb } from './objects/common.js';
import { newId } from './objects/common.js';
import { findNetwork } from './objects/network.js';
import { findSubnet, loadSubnets, type HostRoute, type Subnet } from './objects/subnet.js';
import { deleteAllocations, deletePortRow, findPort, loadPorts, updatePortRow, type Port } from './objects/port.js';
import {
  deleteFloatingIpRow,
  deleteRouterRow,
  findFloatingIp,
  findRouter,
  insertFloatingIp,
  insertRouter,
  loadFloatingIps,
  loadRouters,
  updateFloatingIpRow,
  updateRouterRow,
  type FloatingIp,
  type FloatingIpQuery,
  type Router,
  type RouterQuery,
} from './objects/router.js';
import { replaceTags } from './objects/tag.js';
import { cidrContains, cidrsOverlap, formatCidr, formatIp, parseCidr, parseIp } from './ipam/cidr.js';
import { parseFixedIps, type FixedIpRequest } from './ipam/ipam.js';
import { bad, badAttribute, badRequest, conflict, floatingIpNotFound, missing, notFound, policyNotAuthorized } from './errors.js';
import { nameAndDescription, optBoolean, optString, toBoolean, toDict, toList, toStringAttr, toTags } from './attributes.js';
import type { PortApi } from './port-api.js';
import type { AgentApi } from './agent-api.js';

const MAX_ROUTES = 30;

/** A router create or update as the API body has it. */
export interface RouterInput {
  readonly projectId?: string;
  readonly name?: unknown;
  readonly description?: unknown;
  readonly adminStateUp?: unknown;
  readonly externalGatewayInfo?: unknown;
  readonly routes?: unknown;
  readonly distributed?: unknown;
  readonly ha?: unknown;
  readonly availabilityZoneHints?: unknown;
  readonly tags?: unknown;
}

/** A floating IP create or update as the API body has it. */
export interface FloatingIpInput {
  readonly projectId?: string;
  readonly floatingNetworkId?: unknown;
  readonly floatingIpAddress?: unknown;
  readonly subnetId?: unknown;
  readonly portId?: unknown;
  readonly fixedIpAddress?: unknown;
  readonly description?: unknown;
  readonly tags?: unknown;
}

/** What add/remove_router_interface answer. */
export interface RouterInterfaceInfo {
  readonly routerId: string;
  readonly projectId: string;
  readonly portId: string;
  readonly networkId: string;
  readonly subnetId: string;
  readonly subnetIds: readonly string[];
}

/** Routers and floating IPs. */
export class L3Api {
  readonly #core: PluginCore;
  readonly #ports: PortApi;
  readonly #agents: AgentApi;

  constructor(core: PluginCore, ports: PortApi, agents: AgentApi) {
    this.#core = core;
    this.#ports = ports;
    this.#agents = agents;
  }

  // ---- routers --------------------------------------------------------------------------

  /** Routers the caller sees (its own; admin: all). */
  async list(ctx: NeutronContext, q: RouterQuery = {}): Promise<Router[]> {
    ctx.authorize('get_router');
    return loadRouters(this.#core.db, { ...q, ...(ctx.isAdmin ? {} : { projectIds: q.projectIds === undefined ? [ctx.projectId] : q.projectIds.filter((p) => p === ctx.projectId) }) });
  }

  /** One router the caller sees; 404 otherwise. */
  async get(ctx: NeutronContext, id: string, db: NetworkDb = this.#core.db): Promise<Router> {
    const r = await findRouter(db, id);
    if (r === undefined || (!ctx.isAdmin && r.projectId !== ctx.projectId)) throw notFound('Router', id);
    ctx.authorize('get_router', { projectId: r.projectId });
    return r;
  }

  /** The gateway ports of routers, by router id. */
  async gatewayPorts(routers: readonly Router[]): Promise<Map<string, Port>> {
    const ids = routers.map((r) => r.gwPortId).filter((x): x is string => x !== null);
    const ports = await loadPorts(this.#core.db, { ids });
    return new Map(routers.filter((r) => r.gwPortId !== null).map((r) => [r.id, ports.find((p) => p.id === r.gwPortId)!]).filter(([, p]) => p !== undefined) as Array<[string, Port]>);
  }

  /** Create a router (scheduled to a live L3 agent), with its gateway when asked. */
  async create(ctx: NeutronContext, input: RouterInput): Promise<Router> {
    const projectId = input.projectId ?? ctx.projectId;
    ctx.authorize('create_router', { projectId });
    if (input.routes !== undefined) throw bad('HTTPBadRequest', "Attribute 'routes' not allowed in POST");
    const distributed = optBoolean('distributed', input.distributed);
    if (distributed !== undefined && !ctx.can('create_router:distributed')) throw policyNotAuthorized('create_router:distributed');
    const ha = optBoolean('ha', input.ha);
    if (ha !== undefined && !ctx.can('create_router:ha')) throw policyNotAuthorized('create_router:ha');
    const hints = input.availabilityZoneHints === undefined ? [] : toList('availability_zone_hints', input.availabilityZoneHints).map((h) => toStringAttr('availability_zone_hints', h));
    for (const h of hints) if (h !== 'nova') throw missing('AvailabilityZoneNotFound', `AvailabilityZone ${h} could not be found.`);
    const id = newId();
    const fx = await this.#core.transaction(async (trx, attempt) => {
      const fx = new Effects();
      if (projectId !== '') await this.#core.checkQuota(trx, projectId, 'router');
      const host = await this.#agents.pickL3Host(trx);
      await insertRouter(trx, {
        id,
        projectId,
        name: optString('name', input.name) ?? '',
        description: optString('description', input.description, 1024) ?? '',
        adminStateUp: optBoolean('admin_state_up', input.adminStateUp) ?? true,
        enableSnat: true,
        distributed: distributed ?? false,
        ha: ha ?? false,
        availabilityZoneHints: hints,
        host,
      });
      if (input.tags !== undefined) await replaceTags(trx, 'routers', id, toTags(input.tags));
      if (input.externalGatewayInfo !== undefined && input.externalGatewayInfo !== null) {
        await this.#setGateway(trx, ctx, (await findRouter(trx, id))!, input.externalGatewayInfo, 'create', attempt, fx);
      }
      fx.routers.add(id);
      return fx;
    });
    await this.#core.apply(fx);
    return (await findRouter(this.#core.db, id))!;
  }

  async #setGateway(trx: NetworkDb, ctx: NeutronContext, router: Router, raw: unknown, op: 'create' | 'update', attempt: number, fx: Effects): Promise<void> {
    const info = raw === null ? {} : toDict('external_gateway_info', raw);
    for (const k of Object.keys(info)) if (!['network_id', 'enable_snat', 'external_fixed_ips'].includes(k)) throw badAttribute('external_gateway_info', `Unrecognized attribute(s) '${k}'`);
    const current = router.gwPortId === null ? undefined : await findPort(trx, router.gwPortId);
    const networkId = info.network_id;
    if (networkId === undefined || networkId === null || networkId === '') {
      if (current === undefined) return;
      const fips = await loadFloatingIps(trx, { routerIds: [router.id] });
      if (fips.length > 0) throw conflict('RouterExternalGatewayInUseByFloatingIp', `Gateway cannot be updated for router ${router.id}, since a gateway to external network ${current.networkId} is required by one or more floating IPs.`);
      await updateRouterRow(trx, router.id, { gwPortId: null, enableSnat: true });
      await this.#ports.deleteInTx(trx, current, fx);
      return;
    }
    if (typeof networkId !== 'string') throw badAttribute('external_gateway_info', `'${String(networkId)}' is not a valid UUID`);
    const network = await findNetwork(trx, networkId);
    if (network === undefined) throw notFound('Network', networkId);
    if (!network.external) throw badRequest('router', `The network ${networkId} is not a valid external network`);
    let enableSnat = router.enableSnat;
    if (info.enable_snat !== undefined) {
      if (!ctx.can(`${op}_router:external_gateway_info:enable_snat`)) throw policyNotAuthorized(`${op}_router:external_gateway_info:enable_snat`);
      enableSnat = toBoolean('enable_snat', info.enable_snat);
    } else if (current === undefined || current.networkId !== networkId) enableSnat = true;
    let requests: FixedIpRequest[] | undefined;
    if (info.external_fixed_ips !== undefined && info.external_fixed_ips !== null) {
      if (!ctx.can(`${op}_router:external_gateway_info:external_fixed_ips`)) throw policyNotAuthorized(`${op}_router:external_gateway_info:external_fixed_ips`);
      requests = parseFixedIps(info.external_fixed_ips);
      if (requests.length === 0) requests = undefined;
    }
    const same = current !== undefined && current.networkId === networkId && (requests === undefined || requests.every((r) => current.fixedIps.some((f) => (r.ipAddress === undefined || f.ipAddress === r.ipAddress) && (r.subnetId === undefined || f.subnetId === r.subnetId))));
    if (same) {
      if (enableSnat !== router.enableSnat) await updateRouterRow(trx, router.id, { enableSnat });
      return;
    }
    if (current !== undefined) {
      if (current.networkId !== networkId && (await loadFloatingIps(trx, { routerIds: [router.id] })).length > 0) {
        throw conflict('RouterExternalGatewayInUseByFloatingIp', `Gateway cannot be updated for router ${router.id}, since a gateway to external network ${current.networkId} is required by one or more floating IPs.`);
      }
      await updateRouterRow(trx, router.id, { gwPortId: null });
      await this.#ports.deleteInTx(trx, current, fx);
    }
    const portId = await this.#ports.createInternal(trx, { networkId, projectId: '', deviceId: router.id, deviceOwner: 'network:router_gateway', ...(requests !== undefined ? { fixedIps: requests } : {}), ...(router.host !== null ? { bindingHostId: router.host } : {}) }, attempt, fx);
    await updateRouterRow(trx, router.id, { gwPortId: portId, enableSnat });
  }

  /** Update a router: name, state, gateway, extra routes, admin-only flags. */
  async update(ctx: NeutronContext, id: string, input: RouterInput): Promise<Router> {
    const router = await this.get(ctx, id);
    ctx.authorize('update_router', { projectId: router.projectId });
    const distributed = optBoolean('distributed', input.distributed);
    if (distributed !== undefined && !ctx.can('update_router:distributed')) throw policyNotAuthorized('update_router:distributed');
    const ha = optBoolean('ha', input.ha);
    if (ha !== undefined && !ctx.can('update_router:ha')) throw policyNotAuthorized('update_router:ha');
    const fx = await this.#core.transaction(async (trx, attempt) => {
      const fx = new Effects();
      const current = (await findRouter(trx, id))!;
      const named = nameAndDescription(input);
      const adminStateUp = optBoolean('admin_state_up', input.adminStateUp);
      let routes: HostRoute[] | undefined;
      if (input.routes !== undefined) routes = await this.#validateRoutes(trx, current, input.routes);
      await updateRouterRow(trx, id, {
        ...named,
        ...(adminStateUp !== undefined ? { adminStateUp } : {}),
        ...(routes !== undefined ? { routes } : {}),
        ...(distributed !== undefined ? { distributed } : {}),
        ...(ha !== undefined ? { ha } : {}),
      });
      if (input.externalGatewayInfo !== undefined) await this.#setGateway(trx, ctx, (await findRouter(trx, id))!, input.externalGatewayInfo, 'update', attempt, fx);
      if (input.tags !== undefined) await replaceTags(trx, 'routers', id, toTags(input.tags));
      fx.routers.add(id);
      return fx;
    });
    await this.#core.apply(fx);
    return (await findRouter(this.#core.db, id))!;
  }

  async #routerSubnets(trx: NetworkDb, routerId: string): Promise<Subnet[]> {
    const ports = await loadPorts(trx, { deviceIds: [routerId] });
    const ids = [...new Set(ports.flatMap((p) => p.fixedIps.map((f) => f.subnetId)))];
    return loadSubnets(trx, { ids });
  }

  async #validateRoutes(trx: NetworkDb, router: Router, raw: unknown): Promise<HostRoute[]> {
    if (raw === null) return [];
    const list = toList('routes', raw);
    if (list.length > MAX_ROUTES) throw bad('RoutesExhausted', `Unable to complete operation for ${router.id}. The number of routes exceeds the maximum ${MAX_ROUTES}.`);
    const subnets = await this.#routerSubnets(trx, router.id);
    const ports = await loadPorts(trx, { deviceIds: [router.id] });
    const own = new Set(ports.flatMap((p) => p.fixedIps.map((f) => f.ipAddress)));
    const out: HostRoute[] = [];
    for (const e of list) {
      const o = toDict('routes', e);
      const dest = typeof o.destination === 'string' ? parseCidr(o.destination) : undefined;
      const hop = typeof o.nexthop === 'string' ? parseIp(o.nexthop) : undefined;
      if (dest === undefined || hop === undefined) throw badAttribute('routes', `'${JSON.stringify(o)}' is not a valid route`);
      const route = { destination: formatCidr(dest), nexthop: formatIp(hop.version, hop.value) };
      if (!subnets.some((s) => cidrContains(parseCidr(s.cidr)!, hop))) throw bad('InvalidRoutes', `Invalid format for routes: ${JSON.stringify([o])}, the nexthop is not connected with router`);
      if (own.has(route.nexthop)) throw bad('InvalidRoutes', `Invalid format for routes: ${JSON.stringify([o])}, the nexthop is used by router`);
      if (dest.version !== hop.version) throw bad('InvalidRoutes', `Invalid format for routes: ${JSON.stringify([o])}, the destination and the nexthop are of different IP versions`);
      if (!out.some((r) => r.destination === route.destination && r.nexthop === route.nexthop)) out.push(route);
    }
    return out;
  }

  /** Delete a router: 409 RouterInUse while it has interfaces; its gateway port goes with it. */
  async delete(ctx: NeutronContext, id: string): Promise<void> {
    const router = await this.get(ctx, id);
    ctx.authorize('delete_router', { projectId: router.projectId });
    const fx = await this.#core.transaction(async (trx) => {
      const fx = new Effects();
      const ports = await loadPorts(trx, { deviceIds: [id] });
      if (ports.some((p) => p.id !== router.gwPortId && p.deviceOwner.startsWith('network:router_interface'))) throw conflict('RouterInUse', `Router ${id} still has ports`);
      if ((await loadFloatingIps(trx, { routerIds: [id] })).length > 0) throw conflict('RouterInUse', `Router ${id} still has floating IPs`);
      for (const p of ports) await this.#ports.deleteInTx(trx, p, fx);
      await deleteRouterRow(trx, id);
      if (router.host !== null) fx.routersDeleted.push({ host: router.host, routerId: id });
      return fx;
    });
    await this.#core.apply(fx);
  }

  /** Attach a subnet (through a new port holding its gateway address) or an existing port to a router. */
  async addInterface(ctx: NeutronContext, routerId: string, body: unknown): Promise<RouterInterfaceInfo> {
    const router = await this.get(ctx, routerId);
    ctx.authorize('add_router_interface', { projectId: router.projectId });
    const info = body === undefined || body === null ? {} : toDict('body', body);
    const subnetId = info.subnet_id;
    const portId = info.port_id;
    if (subnetId === undefined && portId === undefined) throw badRequest('router', 'Either subnet_id or port_id must be specified');
    if (subnetId !== undefined && portId !== undefined) throw badRequest('router', 'Cannot specify both subnet-id and port-id');
    let result: RouterInterfaceInfo | undefined;
    const fx = await this.#core.transaction(async (trx, attempt) => {
      const fx = new Effects();
      const existing = await this.#routerSubnets(trx, routerId);
      const ifacePorts = (await loadPorts(trx, { deviceIds: [routerId] })).filter((p) => p.id !== router.gwPortId);
      const ifaceSubnetIds = new Set(ifacePorts.flatMap((p) => p.fixedIps.map((f) => f.subnetId)));
      const checkOverlap = (s: Subnet): void => {
        const c = parseCidr(s.cidr)!;
        for (const e of existing.filter((x) => ifaceSubnetIds.has(x.id))) {
          if (e.id === s.id) throw badRequest('router', `Router already has a port on subnet ${s.id}`);
          if (cidrsOverlap(parseCidr(e.cidr)!, c)) throw badRequest('router', `Cidr ${s.cidr} of subnet ${s.id} overlaps with cidr ${e.cidr} of subnet ${e.id}`);
        }
      };
      if (subnetId !== undefined) {
        if (typeof subnetId !== 'string') throw badAttribute('subnet_id', `'${String(subnetId)}' is not a valid UUID`);
        const s = await findSubnet(trx, subnetId);
        if (s === undefined || (!ctx.isAdmin && s.projectId !== ctx.projectId && !(await this.#sharedNet(trx, s.networkId)))) throw notFound('Subnet', subnetId);
        if (s.gatewayIp === null) throw badRequest('router', `Subnet for router interface must have a gateway IP`);
        checkOverlap(s);
        const id = await this.#ports.createInternal(trx, { networkId: s.networkId, projectId: s.projectId, deviceId: routerId, deviceOwner: 'network:router_interface', fixedIps: [{ subnetId: s.id, ipAddress: s.gatewayIp }], ...(router.host !== null ? { bindingHostId: router.host } : {}) }, attempt, fx);
        result = { routerId, projectId: router.projectId, portId: id, networkId: s.networkId, subnetId: s.id, subnetIds: [s.id] };
      } else {
        if (typeof portId !== 'string') throw badAttribute('port_id', `'${String(portId)}' is not a valid UUID`);
        const port = await this.#ports.get(ctx, portId, trx);
        if (port.deviceId !== '') throw conflict('PortInUse', `Unable to complete operation on port ${port.id} for network ${port.networkId}. Port already has an attached device ${port.deviceId}.`);
        if (port.fixedIps.length === 0) throw badRequest('router', 'Router port must have at least one fixed IP');
        const subnets = await loadSubnets(trx, { ids: [...new Set(port.fixedIps.map((f) => f.subnetId))] });
        if (subnets.filter((s) => s.ipVersion === 4).length > 1) throw badRequest('router', 'Cannot have multiple IPv4 subnets on router port');
        for (const s of subnets) checkOverlap(s);
        await updatePortRow(trx, port.id, { deviceId: routerId, deviceOwner: 'network:router_interface', ...(router.host !== null ? { bindingHostId: router.host } : {}) });
        await trx.deleteFrom('port_security_groups').where('port_id', '=', port.id).execute();
        if (router.host !== null) fx.portsUpdated.push({ host: router.host, portId: port.id });
        result = { routerId, projectId: router.projectId, portId: port.id, networkId: port.networkId, subnetId: subnets[0]!.id, subnetIds: subnets.map((s) => s.id) };
      }
      fx.routers.add(routerId);
      return fx;
    });
    await this.#core.apply(fx);
    return result!;
  }

  async #sharedNet(trx: NetworkDb, networkId: string): Promise<boolean> {
    const n = await findNetwork(trx, networkId);
    return n?.shared === true;
  }

  /** Detach a subnet or port; 409 while floating IPs or extra routes need it. */
  async removeInterface(ctx: NeutronContext, routerId: string, body: unknown): Promise<RouterInterfaceInfo> {
    const router = await this.get(ctx, routerId);
    ctx.authorize('remove_router_interface', { projectId: router.projectId });
    const info = body === undefined || body === null ? {} : toDict('body', body);
    const subnetId = info.subnet_id;
    const portId = info.port_id;
    if (subnetId === undefined && portId === undefined) throw badRequest('router', 'Either subnet_id or port_id must be specified');
    let result: RouterInterfaceInfo | undefined;
    const fx = await this.#core.transaction(async (trx) => {
      const fx = new Effects();
      const ports = (await loadPorts(trx, { deviceIds: [routerId] })).filter((p) => p.deviceOwner.startsWith('network:router_interface'));
      let port: Port | undefined;
      let removeSubnets: string[];
      if (portId !== undefined) {
        port = ports.find((p) => p.id === portId);
        if (port === undefined) throw missing('RouterInterfaceNotFound', `Router ${routerId} does not have an interface with id ${String(portId)}`);
        if (subnetId !== undefined && !port.fixedIps.some((f) => f.subnetId === subnetId)) throw conflict('SubnetMismatchForPort', `Subnet on port ${port.id} does not match the requested subnet ${String(subnetId)}.`);
        removeSubnets = port.fixedIps.map((f) => f.subnetId);
      } else {
        port = ports.find((p) => p.fixedIps.some((f) => f.subnetId === subnetId));
        if (port === undefined) throw missing('RouterInterfaceNotFoundForSubnet', `Router ${routerId} has no interface on subnet ${String(subnetId)}`);
        removeSubnets = [String(subnetId)];
      }
      const subnets = await loadSubnets(trx, { ids: removeSubnets });
      for (const s of subnets) {
        const c = parseCidr(s.cidr)!;
        const fips = await loadFloatingIps(trx, { routerIds: [routerId] });
        if (fips.some((f) => f.fixedIpAddress !== null && cidrContains(c, parseIp(f.fixedIpAddress)!))) {
          throw conflict('RouterInterfaceInUseByFloatingIP', `Router interface for subnet ${s.id} on router ${routerId} cannot be deleted, as it is required by one or more floating IPs.`);
        }
        if (router.routes.some((r) => cidrContains(c, parseIp(r.nexthop)!))) throw conflict('RouterInterfaceInUseByRoute', `Router interface for subnet ${s.id} on router ${routerId} cannot be deleted, as it is required by one or more routes.`);
      }
      const keep = port.fixedIps.filter((f) => !removeSubnets.includes(f.subnetId));
      if (keep.length === 0) await this.#ports.deleteInTx(trx, port, fx);
      else {
        await deleteAllocations(trx, port.id, port.fixedIps.filter((f) => removeSubnets.includes(f.subnetId)));
        fx.dhcpNetworks.add(port.networkId);
      }
      result = { routerId, projectId: router.projectId, portId: port.id, networkId: port.networkId, subnetId: removeSubnets[0]!, subnetIds: removeSubnets };
      fx.routers.add(routerId);
      return fx;
    });
    await this.#core.apply(fx);
    return result!;
  }

  // ---- floating IPs ---------------------------------------------------------------------

  /** Floating IPs the caller sees (its own; admin: all). */
  async listFloatingIps(ctx: NeutronContext, q: FloatingIpQuery = {}): Promise<FloatingIp[]> {
    ctx.authorize('get_floatingip');
    return loadFloatingIps(this.#core.db, { ...q, ...(ctx.isAdmin ? {} : { projectIds: q.projectIds === undefined ? [ctx.projectId] : q.projectIds.filter((p) => p === ctx.projectId) }) });
  }

  /** One floating IP the caller sees; 404 otherwise. */
  async getFloatingIp(ctx: NeutronContext, id: string, db: NetworkDb = this.#core.db): Promise<FloatingIp> {
    const f = await findFloatingIp(db, id);
    if (f === undefined || (!ctx.isAdmin && f.projectId !== ctx.projectId)) throw floatingIpNotFound(id);
    ctx.authorize('get_floatingip', { projectId: f.projectId });
    return f;
  }

  /**
   * The router that connects a port's fixed IP to the external network (it has an interface on the
   * address's subnet and its gateway on the network); 404 ExternalGatewayForFloatingIPNotFound else.
   */
  async #routerFor(trx: NetworkDb, floatingNetworkId: string, port: Port, fixedIp: string): Promise<string> {
    const alloc = port.fixedIps.find((f) => f.ipAddress === fixedIp)!;
    const rows = await trx
      .selectFrom('ip_allocations')
      .innerJoin('ports', 'ports.id', 'ip_allocations.port_id')
      .select('ports.device_id')
      .where('ip_allocations.subnet_id', '=', alloc.subnetId)
      .where('ports.device_owner', 'in', ['network:router_interface', 'network:router_interface_distributed', 'network:ha_router_replicated_interface'])
      .execute();
    const routerIds = [...new Set(rows.map((r) => r.device_id))];
    for (const r of await loadRouters(trx, { ids: routerIds })) {
      if (r.gwPortId === null) continue;
      const gw = await findPort(trx, r.gwPortId);
      if (gw?.networkId === floatingNetworkId) return r.id;
    }
    throw missing('ExternalGatewayForFloatingIPNotFound', `External network ${floatingNetworkId} is not reachable from subnet ${alloc.subnetId}.  Therefore, cannot associate Port ${port.id} with a Floating IP.`);
  }

  async #association(trx: NetworkDb, ctx: NeutronContext, fipId: string, floatingNetworkId: string, portId: unknown, fixedIpAddress: unknown): Promise<{ portId: string; fixedIp: string; routerId: string } | null> {
    if (portId === null || portId === undefined) return null;
    if (typeof portId !== 'string') throw badAttribute('port_id', `'${String(portId)}' is not a valid UUID`);
    const port = await findPort(trx, portId);
    if (port === undefined || (!ctx.isAdmin && port.projectId !== ctx.projectId)) throw notFound('Port', portId);
    const v4 = port.fixedIps.filter((f) => parseIp(f.ipAddress)?.version === 4);
    let fixed: string;
    if (fixedIpAddress !== undefined && fixedIpAddress !== null) {
      const ip = typeof fixedIpAddress === 'string' ? parseIp(fixedIpAddress) : undefined;
      if (ip === undefined) throw badAttribute('fixed_ip_address', `'${String(fixedIpAddress)}' is not a valid IP address`);
      fixed = formatIp(ip.version, ip.value);
      if (!port.fixedIps.some((f) => f.ipAddress === fixed)) throw badRequest('floatingip', `Port ${port.id} does not have fixed ip ${fixed}`);
    } else {
      if (v4.length === 0) throw badRequest('floatingip', `Port ${port.id} does not have any IPv4 address`);
      if (v4.length > 1) throw badRequest('floatingip', `Port ${port.id} has multiple fixed IPv4 addresses. Must provide a specific IPv4 address when assigning a floating IP`);
      fixed = v4[0]!.ipAddress;
    }
    const routerId = await this.#routerFor(trx, floatingNetworkId, port, fixed);
    const taken = (await loadFloatingIps(trx, { fixedPortIds: [port.id], floatingNetworkIds: [floatingNetworkId] })).find((f) => f.fixedIpAddress === fixed && f.id !== fipId);
    if (taken !== undefined) {
      throw conflict('FloatingIPPortAlreadyAssociated', `Cannot associate floating IP ${taken.floatingIpAddress} (${taken.id}) with port ${port.id} using fixed IP ${fixed}, as that fixed IP already has a floating IP on external network ${floatingNetworkId}.`);
    }
    return { portId: port.id, fixedIp: fixed, routerId };
  }

  /** Allocate a floating IP on an external network, associated with a port when one is given. */
  async createFloatingIp(ctx: NeutronContext, input: FloatingIpInput): Promise<FloatingIp> {
    const projectId = input.projectId ?? ctx.projectId;
    ctx.authorize('create_floatingip', { projectId });
    const netId = input.floatingNetworkId;
    if (typeof netId !== 'string' || netId === '') throw bad('HTTPBadRequest', "Failed to parse request. Required attribute 'floating_network_id' not specified");
    if (input.floatingIpAddress !== undefined && input.floatingIpAddress !== null && !ctx.can('create_floatingip:floating_ip_address')) throw policyNotAuthorized('create_floatingip:floating_ip_address');
    const id = newId();
    const fx = await this.#core.transaction(async (trx, attempt) => {
      const fx = new Effects();
      const network = await findNetwork(trx, netId);
      if (network === undefined) throw notFound('Network', netId);
      if (!network.external) throw badRequest('floatingip', `Network ${netId} is not a valid external network`);
      const subnets = (await loadSubnets(trx, { networkIds: [netId] })).filter((s) => s.ipVersion === 4);
      let candidates: FixedIpRequest[][];
      if (input.floatingIpAddress !== undefined && input.floatingIpAddress !== null) {
        const ip = typeof input.floatingIpAddress === 'string' ? parseIp(input.floatingIpAddress) : undefined;
        if (ip === undefined) throw badAttribute('floating_ip_address', `'${String(input.floatingIpAddress)}' is not a valid IP address`);
        candidates = [[{ ipAddress: formatIp(ip.version, ip.value), ...(typeof input.subnetId === 'string' ? { subnetId: input.subnetId } : {}) }]];
      } else if (input.subnetId !== undefined && input.subnetId !== null) {
        if (typeof input.subnetId !== 'string' || !subnets.some((s) => s.id === input.subnetId)) throw badRequest('floatingip', `Subnet ${String(input.subnetId)} is not an IPv4 subnet of network ${netId}`);
        candidates = [[{ subnetId: input.subnetId }]];
      } else {
        if (subnets.length === 0) throw badRequest('floatingip', `Network ${netId} does not contain any IPv4 subnet`);
        candidates = subnets.map((s) => [{ subnetId: s.id }]);
      }
      const assoc = await this.#association(trx, ctx, id, netId, input.portId, input.fixedIpAddress);
      if (projectId !== '') await this.#core.checkQuota(trx, projectId, 'floatingip');
      let portId: string | undefined;
      let lastErr: unknown;
      for (const c of candidates) {
        try {
          portId = await this.#ports.createInternal(trx, { networkId: netId, projectId: '', deviceId: id, deviceOwner: 'network:floatingip', fixedIps: c }, attempt, fx);
          break;
        } catch (err) {
          if ((err as { code?: string }).code !== 'IpAddressGenerationFailure') throw err;
          lastErr = err;
        }
      }
      if (portId === undefined) throw lastErr;
      const fipPort = (await findPort(trx, portId))!;
      await insertFloatingIp(trx, {
        id,
        projectId,
        floatingNetworkId: netId,
        floatingIpAddress: fipPort.fixedIps[0]!.ipAddress,
        floatingPortId: portId,
        fixedPortId: assoc?.portId ?? null,
        fixedIpAddress: assoc?.fixedIp ?? null,
        routerId: assoc?.routerId ?? null,
        description: optString('description', input.description, 1024) ?? '',
      });
      if (input.tags !== undefined) await replaceTags(trx, 'floatingips', id, toTags(input.tags));
      if (assoc !== null) fx.routers.add(assoc.routerId);
      return fx;
    });
    await this.#core.apply(fx);
    return (await findFloatingIp(this.#core.db, id))!;
  }

  /** Associate, re-associate (port_id) or disassociate (port_id null) a floating IP. */
  async updateFloatingIp(ctx: NeutronContext, id: string, input: FloatingIpInput): Promise<FloatingIp> {
    const f = await this.getFloatingIp(ctx, id);
    ctx.authorize('update_floatingip', { projectId: f.projectId });
    const fx = await this.#core.transaction(async (trx) => {
      const fx = new Effects();
      const description = optString('description', input.description, 1024);
      if (input.portId !== undefined) {
        const assoc = await this.#association(trx, ctx, id, f.floatingNetworkId, input.portId, input.fixedIpAddress);
        await updateFloatingIpRow(trx, id, {
          fixedPortId: assoc?.portId ?? null,
          fixedIpAddress: assoc?.fixedIp ?? null,
          routerId: assoc?.routerId ?? null,
          ...(assoc === null ? { status: 'DOWN' } : {}),
          ...(description !== undefined ? { description } : {}),
        });
        if (f.routerId !== null) fx.routers.add(f.routerId);
        if (assoc !== null) fx.routers.add(assoc.routerId);
      } else if (description !== undefined) {
        await updateFloatingIpRow(trx, id, { description });
      }
      if (input.tags !== undefined) await replaceTags(trx, 'floatingips', id, toTags(input.tags));
      return fx;
    });
    await this.#core.apply(fx);
    return (await findFloatingIp(this.#core.db, id))!;
  }

  /** Release a floating IP and its address. */
  async deleteFloatingIp(ctx: NeutronContext, id: string): Promise<void> {
    const f = await this.getFloatingIp(ctx, id);
    ctx.authorize('delete_floatingip', { projectId: f.projectId });
    const fx = await this.#core.transaction(async (trx) => {
      const fx = new Effects();
      await deleteFloatingIpRow(trx, id);
      const port = await findPort(trx, f.floatingPortId);
      if (port !== undefined) await deletePortRow(trx, port.id);
      if (f.routerId !== null) fx.routers.add(f.routerId);
      return fx;
    });
    await this.#core.apply(fx);
  }

  /** Record what an L3 agent reported about a router's floating IPs. */
  async setFloatingIpStatuses(routerId: string, statuses: Readonly<Record<string, string>>): Promise<void> {
    for (const [id, status] of Object.entries(statuses)) {
      await this.#core.db.updateTable('floating_ips').set({ status }).where('id', '=', id).where('router_id', '=', routerId).where('status', '!=', status).execute();
    }
  }
}
