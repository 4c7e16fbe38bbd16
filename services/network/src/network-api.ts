/** Networks, subnets and subnet pools as neutron's core plugin handles them: segments, CIDR and pool validation, in-use checks. */
import { visibilityOf, type NeutronContext } from './neutron-context.js';
import { Effects, type PluginCore } from './plugin-core.js';
import type { NetworkDb } from './objects/common.js';
import { newId } from './objects/common.js';
import { deleteNetworkRow, findNetwork, insertNetwork, loadNetworks, segmentAllocKey, updateNetwork, bumpNetwork, type Network, type NetworkQuery, type NetworkUpdate } from './objects/network.js';
import { deleteSubnetRow, findSubnet, insertSubnet, loadSubnets, updateSubnet, type AllocationPool, type HostRoute, type Subnet, type SubnetQuery, type SubnetUpdate } from './objects/subnet.js';
import { deleteAllocations, deletePortRow, insertAllocations, loadPorts, portsOnSubnet } from './objects/port.js';
import { deleteFloatingIpRow, loadFloatingIps } from './objects/router.js';
import { deleteSubnetPoolRow, insertSubnetPool, loadSubnetPools, updateSubnetPoolRow, type SubnetPool } from './objects/subnet-pool.js';
import { replaceTags } from './objects/tag.js';
import { cidrContains, cidrsOverlap, cidrWithin, cidrRange, eui64Address, formatCidr, formatIp, generatePools, mergeCidrs, parseCidr, parseIp, poolBounds, type Cidr } from './ipam/cidr.js';
import { isAutoAddressSubnet } from './ipam/ipam.js';
import { bad, badAttribute, conflict, invalidInput, missing, networkInUse, notFound, policyNotAuthorized, subnetInUse } from './errors.js';
import { nameAndDescription, optBoolean, optString, toBoolean, toInt, toList, toStringAttr, toTags } from './attributes.js';
import type { TypeManager, ProviderRequest } from './server/ml2/type-drivers.js';
import type { AgentApi } from './agent-api.js';

/** Owners of ports a network delete removes by itself. */
const AUTO_DELETE_OWNERS = new Set(['network:dhcp', 'network:floatingip']);
const IPV6_MODES = ['slaac', 'dhcpv6-stateful', 'dhcpv6-stateless'];

/** A network create or update as the API body has it. */
export interface NetworkInput {
  readonly projectId?: string;
  readonly name?: unknown;
  readonly description?: unknown;
  readonly adminStateUp?: unknown;
  readonly shared?: unknown;
  readonly external?: unknown;
  readonly mtu?: unknown;
  readonly portSecurityEnabled?: unknown;
  readonly availabilityZoneHints?: unknown;
  readonly providerNetworkType?: unknown;
  readonly providerPhysicalNetwork?: unknown;
  readonly providerSegmentationId?: unknown;
  readonly tags?: unknown;
}

/** A subnet create or update as the API body has it. */
export interface SubnetInput {
  readonly projectId?: string;
  readonly networkId?: unknown;
  readonly name?: unknown;
  readonly description?: unknown;
  readonly ipVersion?: unknown;
  readonly cidr?: unknown;
  readonly gatewayIp?: unknown;
  readonly enableDhcp?: unknown;
  readonly dnsNameservers?: unknown;
  readonly hostRoutes?: unknown;
  readonly allocationPools?: unknown;
  readonly ipv6RaMode?: unknown;
  readonly ipv6AddressMode?: unknown;
  readonly subnetpoolId?: unknown;
  readonly prefixlen?: unknown;
  readonly tags?: unknown;
}

/** A subnet pool create or update as the API body has it. */
export interface SubnetPoolInput {
  readonly projectId?: string;
  readonly name?: unknown;
  readonly description?: unknown;
  readonly prefixes?: unknown;
  readonly defaultPrefixlen?: unknown;
  readonly minPrefixlen?: unknown;
  readonly maxPrefixlen?: unknown;
  readonly shared?: unknown;
  readonly isDefault?: unknown;
  readonly defaultQuota?: unknown;
  readonly addressScopeId?: unknown;
  readonly tags?: unknown;
}

function segIdValue(v: unknown): number | null | undefined {
  if (v === undefined) return undefined;
  if (v === null) return null;
  return toInt('provider:segmentation_id', v);
}

function parseCidrAttr(attr: string, v: unknown): Cidr {
  const c = typeof v === 'string' ? parseCidr(v) : undefined;
  if (c === undefined || (typeof v === 'string' && !v.includes('/'))) throw badAttribute(attr, `'${String(v)}' is not a valid IP subnet`);
  if (c.hostBitsSet) throw badAttribute(attr, `'${String(v)}' isn't a recognized IP subnet cidr, '${formatCidr(c)}' is recommended`);
  return c;
}

/** Networks, subnets, subnet pools. */
export class NetworkApi {
  readonly #core: PluginCore;
  readonly #types: TypeManager;
  readonly #agents: AgentApi;

  constructor(core: PluginCore, types: TypeManager, agents: AgentApi) {
    this.#core = core;
    this.#types = types;
    this.#agents = agents;
  }

  // ---- networks -------------------------------------------------------------------------

  /** Networks the caller sees: its own, shared and external (admin: all). */
  async list(ctx: NeutronContext, q: NetworkQuery = {}): Promise<Network[]> {
    ctx.authorize('get_network');
    return loadNetworks(this.#core.db, { ...q, ...visibilityOf(ctx) });
  }

  /** One visible network; 404 otherwise. */
  async get(ctx: NeutronContext, id: string, db: NetworkDb = this.#core.db): Promise<Network> {
    const n = await findNetwork(db, id);
    if (n === undefined || (!ctx.isAdmin && n.projectId !== ctx.projectId && !n.shared && !n.external)) throw notFound('Network', id);
    ctx.authorize('get_network');
    return n;
  }

  /** Create networks (bulk: all or none). */
  async create(ctx: NeutronContext, inputs: readonly NetworkInput[]): Promise<Network[]> {
    const ids: string[] = [];
    await this.#core.transaction(async (trx, attempt) => {
      ids.length = 0;
      for (const input of inputs) ids.push(await this.#createOne(trx, ctx, input, attempt));
    });
    const made = await loadNetworks(this.#core.db, { ids });
    return ids.map((id) => made.find((n) => n.id === id)!);
  }

  async #createOne(trx: NetworkDb, ctx: NeutronContext, input: NetworkInput, attempt: number): Promise<string> {
    const projectId = input.projectId ?? ctx.projectId;
    ctx.authorize('create_network', { projectId });
    const shared = optBoolean('shared', input.shared) ?? false;
    const external = optBoolean('router:external', input.external) ?? false;
    if (input.shared !== undefined && shared && !ctx.can('create_network:shared')) throw policyNotAuthorized('create_network:shared');
    if (input.external !== undefined && !ctx.can('create_network:router:external')) throw policyNotAuthorized('create_network:router:external');
    const provider = input.providerNetworkType !== undefined || input.providerPhysicalNetwork !== undefined || input.providerSegmentationId !== undefined;
    if (provider && !ctx.can('create_network:provider')) throw policyNotAuthorized('create_network:provider:network_type');
    const hints = input.availabilityZoneHints === undefined ? [] : toList('availability_zone_hints', input.availabilityZoneHints).map((h) => toStringAttr('availability_zone_hints', h));
    for (const h of hints) if (h !== 'nova') throw missing('AvailabilityZoneNotFound', `AvailabilityZone ${h} could not be found.`);
    let segment;
    if (provider) {
      if (typeof input.providerNetworkType !== 'string') throw invalidInput('provider:network_type required.');
      const req: ProviderRequest = {
        networkType: input.providerNetworkType,
        physicalNetwork: input.providerPhysicalNetwork === undefined ? undefined : input.providerPhysicalNetwork === null ? null : toStringAttr('provider:physical_network', input.providerPhysicalNetwork, 64),
        segmentationId: segIdValue(input.providerSegmentationId),
      };
      segment = await this.#types.reserveProvider(trx, req, attempt);
      if (req.segmentationId !== undefined && req.segmentationId !== null || segment.networkType === 'flat') {
        const taken = await trx.selectFrom('network_segments').select('network_id').where('alloc_key', '=', segmentAllocKey(segment)).executeTakeFirst();
        if (taken !== undefined) {
          if (segment.networkType === 'flat') throw conflict('FlatNetworkInUse', `Unable to create the flat network. Physical network ${segment.physicalNetwork} is in use.`);
          if (segment.networkType === 'vlan') throw conflict('VlanIdInUse', `Unable to create the network. The VLAN ${segment.segmentationId} on physical network ${segment.physicalNetwork} is in use.`);
          throw conflict('TunnelIdInUse', `Unable to create the network. The tunnel ID ${segment.segmentationId} is in use.`);
        }
      }
    } else {
      segment = await this.#types.allocateTenant(trx, attempt);
    }
    const maxMtu = this.#types.mtu(segment.networkType, this.#core.settings.globalPhysnetMtu);
    let mtu = maxMtu;
    if (input.mtu !== undefined && input.mtu !== null) {
      mtu = toInt('mtu', input.mtu);
      if (mtu < 68) throw badAttribute('mtu', `'${mtu}' is too small - must be at least '68'`);
      if (mtu > maxMtu) throw invalidInput(`Requested MTU is too big, maximum is ${maxMtu}.`);
    }
    if (projectId !== '') await this.#core.checkQuota(trx, projectId, 'network');
    const id = newId();
    await insertNetwork(
      trx,
      {
        id,
        projectId,
        name: optString('name', input.name) ?? '',
        description: optString('description', input.description, 1024) ?? '',
        adminStateUp: optBoolean('admin_state_up', input.adminStateUp) ?? true,
        shared,
        external,
        mtu,
        portSecurityEnabled: optBoolean('port_security_enabled', input.portSecurityEnabled) ?? true,
        availabilityZoneHints: hints,
      },
      { id: newId(), ...segment },
    );
    if (input.tags !== undefined) await replaceTags(trx, 'networks', id, toTags(input.tags));
    return id;
  }

  /** Update a network. */
  async update(ctx: NeutronContext, id: string, input: NetworkInput): Promise<Network> {
    const n = await this.get(ctx, id);
    ctx.authorize('update_network', { projectId: n.projectId });
    const u: { -readonly [K in keyof NetworkUpdate]: NetworkUpdate[K] } = nameAndDescription(input);
    const admin = optBoolean('admin_state_up', input.adminStateUp);
    if (admin !== undefined) u.adminStateUp = admin;
    const portSecurity = optBoolean('port_security_enabled', input.portSecurityEnabled);
    if (portSecurity !== undefined) u.portSecurityEnabled = portSecurity;
    const shared = optBoolean('shared', input.shared);
    if (shared !== undefined && shared !== n.shared) {
      if (!ctx.can('update_network:shared')) throw policyNotAuthorized('update_network:shared');
      if (!shared) {
        const foreign = await this.#core.db.selectFrom('ports').select('id').where('network_id', '=', id).where('project_id', '!=', n.projectId).where('device_owner', 'not like', 'network:%').executeTakeFirst();
        if (foreign !== undefined) throw conflict('InvalidSharedSetting', `Unable to reconfigure sharing settings for network ${id}. Multiple tenants are using it.`);
      }
      u.shared = shared;
    }
    const external = optBoolean('router:external', input.external);
    if (external !== undefined && external !== n.external) {
      if (!ctx.can('update_network:router:external')) throw policyNotAuthorized('update_network:router:external');
      if (!external) {
        const used = await this.#core.db.selectFrom('ports').select('id').where('network_id', '=', id).where('device_owner', 'in', ['network:router_gateway', 'network:floatingip']).executeTakeFirst();
        if (used !== undefined) throw conflict('ExternalNetworkInUse', `External network ${id} cannot be updated to be made non-external, since it has existing gateway ports.`);
      }
      u.external = external;
    }
    if (input.providerNetworkType !== undefined || input.providerPhysicalNetwork !== undefined || input.providerSegmentationId !== undefined) {
      if (!ctx.can('update_network:provider')) throw policyNotAuthorized('update_network:provider:network_type');
      const s = n.segments[0];
      const same =
        (input.providerNetworkType === undefined || input.providerNetworkType === s?.networkType) &&
        (input.providerPhysicalNetwork === undefined || input.providerPhysicalNetwork === s?.physicalNetwork) &&
        (input.providerSegmentationId === undefined || segIdValue(input.providerSegmentationId) === s?.segmentationId);
      if (!same) throw invalidInput('Plugin does not support updating provider attributes.');
    }
    if (input.mtu !== undefined && input.mtu !== null) {
      const mtu = toInt('mtu', input.mtu);
      const max = this.#types.mtu(n.segments[0]?.networkType ?? 'vxlan', this.#core.settings.globalPhysnetMtu);
      if (mtu < 68) throw badAttribute('mtu', `'${mtu}' is too small - must be at least '68'`);
      if (mtu > max) throw invalidInput(`Requested MTU is too big, maximum is ${max}.`);
      u.mtu = mtu;
    }
    await this.#core.transaction(async (trx) => {
      await updateNetwork(trx, id, u);
      if (input.tags !== undefined) await replaceTags(trx, 'networks', id, toTags(input.tags));
    });
    if (u.mtu !== undefined || u.adminStateUp !== undefined) {
      const fx = new Effects();
      fx.dhcpNetworks.add(id);
      await this.#core.apply(fx);
    }
    return (await findNetwork(this.#core.db, id))!;
  }

  /** Delete a network: 409 NetworkInUse while ports other than DHCP and floating IP ports are on it. */
  async delete(ctx: NeutronContext, id: string): Promise<void> {
    const n = await this.get(ctx, id);
    ctx.authorize('delete_network', { projectId: n.projectId });
    const fx = await this.#core.transaction(async (trx) => {
      const fx = new Effects();
      const ports = await loadPorts(trx, { networkIds: [id] });
      if (ports.some((p) => !AUTO_DELETE_OWNERS.has(p.deviceOwner))) throw networkInUse(id);
      for (const fip of await loadFloatingIps(trx, { floatingNetworkIds: [id] })) {
        await deleteFloatingIpRow(trx, fip.id);
        if (fip.routerId !== null) fx.routers.add(fip.routerId);
      }
      for (const p of ports) {
        await deletePortRow(trx, p.id);
        if (p.bindingHostId !== '') fx.portsDeleted.push({ host: p.bindingHostId, portId: p.id, networkId: id });
      }
      for (const s of n.subnetIds) await deleteSubnetRow(trx, s);
      const hosts = await trx.selectFrom('network_dhcp_agents').innerJoin('agents', 'agents.id', 'network_dhcp_agents.agent_id').select('agents.host').where('network_dhcp_agents.network_id', '=', id).execute();
      for (const h of hosts) fx.dhcpRemoved.push({ host: h.host, networkId: id });
      await deleteNetworkRow(trx, id);
      fx.networksDeleted.push(id);
      return fx;
    });
    await this.#core.apply(fx);
  }

  // ---- subnets --------------------------------------------------------------------------

  /** Subnets the caller sees: its own and those of shared networks (admin: all). */
  async listSubnets(ctx: NeutronContext, q: SubnetQuery = {}): Promise<Subnet[]> {
    ctx.authorize('get_subnet');
    return loadSubnets(this.#core.db, { ...q, ...visibilityOf(ctx) });
  }

  /** One visible subnet; 404 otherwise. */
  async getSubnet(ctx: NeutronContext, id: string, db: NetworkDb = this.#core.db): Promise<Subnet> {
    const s = await findSubnet(db, id);
    if (s === undefined) throw notFound('Subnet', id);
    if (!ctx.isAdmin && s.projectId !== ctx.projectId) {
      const n = await db.selectFrom('networks').select('shared').where('id', '=', s.networkId).executeTakeFirst();
      if (n === undefined || !(n.shared === true || n.shared === 1)) throw notFound('Subnet', id);
    }
    ctx.authorize('get_subnet');
    return s;
  }

  /** Create subnets (bulk: all or none); DHCP is scheduled afterwards. */
  async createSubnets(ctx: NeutronContext, inputs: readonly SubnetInput[]): Promise<Subnet[]> {
    const ids: string[] = [];
    const fx = await this.#core.transaction(async (trx, attempt) => {
      const fx = new Effects();
      ids.length = 0;
      for (const input of inputs) ids.push(await this.#createSubnet(trx, ctx, input, attempt, fx));
      return fx;
    });
    await this.#core.apply(fx);
    const made = await loadSubnets(this.#core.db, { ids });
    for (const networkId of new Set(made.map((s) => s.networkId))) await this.#agents.scheduleNetwork(networkId);
    return ids.map((id) => made.find((s) => s.id === id)!);
  }

  async #createSubnet(trx: NetworkDb, ctx: NeutronContext, input: SubnetInput, attempt: number, fx: Effects): Promise<string> {
    if (typeof input.networkId !== 'string' || input.networkId === '') throw badAttribute('network_id', `'${String(input.networkId ?? null)}' is not a valid UUID`);
    const network = await this.get(ctx, input.networkId, trx);
    const projectId = input.projectId ?? ctx.projectId;
    ctx.authorize('create_subnet', { projectId });
    if (!ctx.isAdmin && network.projectId !== ctx.projectId) throw policyNotAuthorized('create_subnet:on_foreign_network');
    let ipVersion: 4 | 6 | undefined;
    if (input.ipVersion !== undefined) {
      const v = toInt('ip_version', input.ipVersion);
      if (v !== 4 && v !== 6) throw badAttribute('ip_version', `${v} is not in [4, 6]`);
      ipVersion = v;
    }
    let pool: SubnetPool | undefined;
    if (input.subnetpoolId !== undefined && input.subnetpoolId !== null) {
      if (typeof input.subnetpoolId !== 'string') throw badAttribute('subnetpool_id', `'${String(input.subnetpoolId)}' is not a valid UUID`);
      pool = (await loadSubnetPools(trx, { ids: [input.subnetpoolId], ...visibilityOf(ctx) }))[0];
      if (pool === undefined) throw notFound('SubnetPool', input.subnetpoolId);
      if (ipVersion !== undefined && ipVersion !== pool.ipVersion) throw invalidInput(`Cannot allocate IPv${ipVersion} subnet from IPv${pool.ipVersion} subnet pool.`);
    }
    let cidr: Cidr;
    if (input.cidr !== undefined && input.cidr !== null) {
      cidr = parseCidrAttr('cidr', input.cidr);
      if (pool !== undefined) {
        const within = pool.prefixes.some((p) => cidrWithin(cidr, parseCidr(p)!));
        if (!within) throw bad('IllegalSubnetPoolPrefixBounds', `Cidr ${formatCidr(cidr)} is not within the prefixes of subnet pool ${pool.id}.`);
        if (cidr.prefixlen < pool.minPrefixlen || cidr.prefixlen > pool.maxPrefixlen) throw bad('IllegalSubnetPoolPrefixBounds', `Prefix length ${cidr.prefixlen} is outside the bounds ${pool.minPrefixlen}-${pool.maxPrefixlen} of subnet pool ${pool.id}.`);
      }
    } else if (pool !== undefined) {
      const prefixlen = input.prefixlen === undefined || input.prefixlen === null ? pool.defaultPrefixlen : toInt('prefixlen', input.prefixlen);
      if (prefixlen < pool.minPrefixlen || prefixlen > pool.maxPrefixlen) throw bad('IllegalSubnetPoolPrefixBounds', `Illegal prefix bounds: prefixlen ${prefixlen} outside ${pool.minPrefixlen}-${pool.maxPrefixlen}.`);
      cidr = await this.#allocateFromPool(trx, pool, prefixlen);
    } else {
      throw bad('HTTPBadRequest', "Failed to parse request. Required attribute 'cidr' not specified");
    }
    if (ipVersion === undefined) ipVersion = cidr.version;
    if (cidr.version !== ipVersion) throw invalidInput(`Cidr ${formatCidr(cidr)} does not match ip_version ${ipVersion}.`);
    if (cidr.prefixlen === 0) throw invalidInput(`0 is not allow as CIDR prefix length.`);
    const existing = await loadSubnets(trx, { networkIds: [network.id] });
    for (const s of existing) {
      if (cidrsOverlap(parseCidr(s.cidr)!, cidr)) throw invalidInput(`Requested subnet with cidr: ${formatCidr(cidr)} for network: ${network.id} overlaps with another subnet.`);
    }
    const raMode = this.#ipv6Mode('ipv6_ra_mode', input.ipv6RaMode, ipVersion);
    const addrMode = this.#ipv6Mode('ipv6_address_mode', input.ipv6AddressMode, ipVersion);
    if (raMode !== null && addrMode !== null && raMode !== addrMode) throw invalidInput(`ipv6_ra_mode set to '${raMode}' with ipv6_address_mode set to '${addrMode}' is not valid. If both attributes are set, they must be the same value.`);
    if ((addrMode === 'slaac' || addrMode === 'dhcpv6-stateless' || raMode === 'slaac' || raMode === 'dhcpv6-stateless') && cidr.prefixlen !== 64) {
      throw invalidInput(`Invalid CIDR ${formatCidr(cidr)} for IPv6 address mode. OpenStack uses the EUI-64 address format, which requires the prefix to be /64.`);
    }
    const gateway = this.#gateway(input.gatewayIp, cidr, true);
    const pools = input.allocationPools === undefined || input.allocationPools === null ? generatePools(cidr, gateway === null ? null : parseIp(gateway)!.value).map((r) => ({ start: formatIp(cidr.version, r.first), end: formatIp(cidr.version, r.last) })) : this.#pools(input.allocationPools, cidr);
    this.#gatewayOutOfPools(gateway, pools);
    const id = newId();
    if (projectId !== '') await this.#core.checkQuota(trx, projectId, 'subnet');
    await insertSubnet(trx, {
      id,
      projectId,
      networkId: network.id,
      name: optString('name', input.name) ?? '',
      description: optString('description', input.description, 1024) ?? '',
      ipVersion,
      cidr: formatCidr(cidr),
      gatewayIp: gateway,
      enableDhcp: optBoolean('enable_dhcp', input.enableDhcp) ?? true,
      ipv6RaMode: raMode,
      ipv6AddressMode: addrMode,
      subnetpoolId: pool?.id ?? null,
      dnsNameservers: input.dnsNameservers === undefined ? [] : this.#nameservers(input.dnsNameservers, ipVersion),
      hostRoutes: input.hostRoutes === undefined ? [] : this.#hostRoutes(input.hostRoutes, ipVersion),
      allocationPools: pools,
    });
    if (input.tags !== undefined) await replaceTags(trx, 'subnets', id, toTags(input.tags));
    await bumpNetwork(trx, network.id);
    // NOTE: SLAAC subnets give every existing port of the network an address, as neutron's _add_auto_addrs_on_network_ports does.
    if (addrMode === 'slaac' || addrMode === 'dhcpv6-stateless') {
      for (const p of await loadPorts(trx, { networkIds: [network.id] })) {
        if (p.deviceOwner.startsWith('network:router')) continue;
        await insertAllocations(trx, p.id, network.id, [{ subnetId: id, ipAddress: formatIp(6, eui64Address(cidr, p.macAddress)) }]);
        if (p.bindingHostId !== '') fx.portsUpdated.push({ host: p.bindingHostId, portId: p.id });
      }
    }
    fx.dhcpNetworks.add(network.id);
    return id;
  }

  #ipv6Mode(attr: string, v: unknown, ipVersion: 4 | 6): string | null {
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string' || !IPV6_MODES.includes(v)) throw badAttribute(attr, `'${String(v)}' is not in ${JSON.stringify(IPV6_MODES)}`);
    if (ipVersion !== 6) throw invalidInput(`${attr} set to '${v}' is not valid when ip_version is 4.`);
    return v;
  }

  /** The gateway as stored: the default first address, null for none, or a checked explicit one. */
  #gateway(v: unknown, cidr: Cidr, isCreate: boolean): string | null {
    if (v === undefined) {
      if (!isCreate) throw new Error('unreachable');
      const r = cidrRange(cidr);
      if (r.last - r.first < 2n) return null;
      return formatIp(cidr.version, r.first + 1n);
    }
    if (v === null || v === '') return null;
    const ip = typeof v === 'string' ? parseIp(v) : undefined;
    if (ip === undefined) throw badAttribute('gateway_ip', `'${String(v)}' is not a valid IP address`);
    if (ip.version !== cidr.version) throw invalidInput(`${String(v)} is not a valid IPv${cidr.version} address.`);
    if (!cidrContains(cidr, ip)) throw invalidInput(`Gateway ip ${formatIp(ip.version, ip.value)} is not in subnet ${formatCidr(cidr)}.`);
    const r = cidrRange(cidr);
    if (r.last - r.first >= 2n && (ip.value === r.first || (cidr.version === 4 && ip.value === r.last))) throw invalidInput(`Gateway is not valid on subnet.`);
    return formatIp(ip.version, ip.value);
  }

  #gatewayOutOfPools(gateway: string | null, pools: readonly AllocationPool[]): void {
    if (gateway === null) return;
    const g = parseIp(gateway)!.value;
    for (const p of pools) {
      if (g >= parseIp(p.start)!.value && g <= parseIp(p.end)!.value) throw conflict('GatewayConflictWithAllocationPools', `Gateway ip ${gateway} conflicts with allocation pool ${p.start}-${p.end}.`);
    }
  }

  #pools(v: unknown, cidr: Cidr): AllocationPool[] {
    const list = toList('allocation_pools', v);
    const bounds = poolBounds(cidr);
    const ranges: Array<{ first: bigint; last: bigint; text: AllocationPool }> = [];
    for (const e of list) {
      if (typeof e !== 'object' || e === null) throw badAttribute('allocation_pools', `'${JSON.stringify(e)}' is not a dictionary`);
      const o = e as Record<string, unknown>;
      const start = typeof o.start === 'string' ? parseIp(o.start) : undefined;
      const end = typeof o.end === 'string' ? parseIp(o.end) : undefined;
      if (start === undefined || end === undefined) throw bad('InvalidAllocationPool', `The allocation pool ${String(o.start)}-${String(o.end)} is not valid.`);
      const text = { start: formatIp(start.version, start.value), end: formatIp(end.version, end.value) };
      if (start.version !== cidr.version || end.version !== cidr.version) throw bad('InvalidAllocationPool', `The allocation pool ${text.start}-${text.end} is not valid.`);
      if (start.value > end.value) throw bad('InvalidAllocationPool', `The allocation pool ${text.start}-${text.end} is not valid.`);
      if (start.value < bounds.first || end.value > bounds.last) throw bad('OutOfBoundsAllocationPool', `The allocation pool ${text.start}-${text.end} spans beyond the subnet cidr ${formatCidr(cidr)}.`);
      for (const r of ranges) {
        if (start.value <= r.last && r.first <= end.value) throw conflict('OverlappingAllocationPools', `Found overlapping allocation pools: ${text.start}-${text.end} and ${r.text.start}-${r.text.end} for subnet ${formatCidr(cidr)}.`);
      }
      ranges.push({ first: start.value, last: end.value, text });
    }
    return ranges.map((r) => r.text);
  }

  #nameservers(v: unknown, ipVersion: 4 | 6): string[] {
    void ipVersion;
    const list = v === null ? [] : toList('dns_nameservers', v);
    if (list.length > this.#core.settings.maxDnsNameservers) throw bad('DNSNameServersExhausted', `Unable to complete operation for subnet. The number of DNS nameservers exceeds the limit ${this.#core.settings.maxDnsNameservers}.`);
    const out: string[] = [];
    for (const e of list) {
      const ip = typeof e === 'string' ? parseIp(e) : undefined;
      if (ip === undefined) throw badAttribute('dns_nameservers', `'${String(e)}' is not a valid nameserver`);
      const t = formatIp(ip.version, ip.value);
      if (out.includes(t)) throw badAttribute('dns_nameservers', `Duplicate nameserver '${t}'`);
      out.push(t);
    }
    return out;
  }

  #hostRoutes(v: unknown, ipVersion: 4 | 6): HostRoute[] {
    const list = v === null ? [] : toList('host_routes', v);
    if (list.length > this.#core.settings.maxHostRoutes) throw bad('HostRoutesExhausted', `Unable to complete operation for subnet. The number of host routes exceeds the limit ${this.#core.settings.maxHostRoutes}.`);
    const out: HostRoute[] = [];
    for (const e of list) {
      if (typeof e !== 'object' || e === null) throw badAttribute('host_routes', `'${JSON.stringify(e)}' is not a dictionary`);
      const o = e as Record<string, unknown>;
      const dest = typeof o.destination === 'string' ? parseCidr(o.destination) : undefined;
      const hop = typeof o.nexthop === 'string' ? parseIp(o.nexthop) : undefined;
      if (dest === undefined || hop === undefined) throw badAttribute('host_routes', `'${JSON.stringify(o)}' is not a valid host route`);
      if (dest.version !== ipVersion || hop.version !== ipVersion) throw invalidInput(`Host route ${JSON.stringify(o)} does not match the IP version of the subnet.`);
      const route = { destination: formatCidr(dest), nexthop: formatIp(hop.version, hop.value) };
      if (out.some((r) => r.destination === route.destination && r.nexthop === route.nexthop)) throw badAttribute('host_routes', `Duplicate hostroute '${JSON.stringify(o)}'`);
      out.push(route);
    }
    return out;
  }

  async #allocateFromPool(trx: NetworkDb, pool: SubnetPool, prefixlen: number): Promise<Cidr> {
    const used = (await loadSubnets(trx, { subnetpoolIds: [pool.id] })).map((s) => parseCidr(s.cidr)!);
    for (const p of pool.prefixes) {
      const prefix = parseCidr(p)!;
      if (prefixlen < prefix.prefixlen) continue;
      const step = 1n << BigInt((prefix.version === 4 ? 32 : 128) - prefixlen);
      const r = cidrRange(prefix);
      for (let net = r.first; net + step - 1n <= r.last; net += step) {
        const candidate: Cidr = { version: prefix.version, network: net, prefixlen, hostBitsSet: false };
        if (!used.some((u) => cidrsOverlap(u, candidate))) return candidate;
      }
    }
    throw conflict('SubnetAllocationError', `Failed to allocate subnet: Insufficient prefix space to allocate subnet size /${prefixlen}.`);
  }

  /** Update a subnet; its CIDR, version, network and pool are read-only. */
  async updateSubnet(ctx: NeutronContext, id: string, input: SubnetInput): Promise<Subnet> {
    const s = await this.getSubnet(ctx, id);
    ctx.authorize('update_subnet', { projectId: s.projectId });
    for (const [attr, v, cur] of [
      ['cidr', input.cidr, s.cidr],
      ['ip_version', input.ipVersion, s.ipVersion],
      ['network_id', input.networkId, s.networkId],
      ['subnetpool_id', input.subnetpoolId, s.subnetpoolId],
      ['ipv6_ra_mode', input.ipv6RaMode, s.ipv6RaMode],
      ['ipv6_address_mode', input.ipv6AddressMode, s.ipv6AddressMode],
    ] as const) {
      if (v !== undefined && String(v) !== String(cur)) throw bad('HTTPBadRequest', `Cannot update read-only attribute ${attr}`);
    }
    const cidr = parseCidr(s.cidr)!;
    const u: { -readonly [K in keyof SubnetUpdate]: SubnetUpdate[K] } = nameAndDescription(input);
    if (input.enableDhcp !== undefined) u.enableDhcp = toBoolean('enable_dhcp', input.enableDhcp);
    if (input.dnsNameservers !== undefined) u.dnsNameservers = this.#nameservers(input.dnsNameservers, s.ipVersion);
    if (input.hostRoutes !== undefined) u.hostRoutes = this.#hostRoutes(input.hostRoutes, s.ipVersion);
    if (input.allocationPools !== undefined && input.allocationPools !== null) u.allocationPools = this.#pools(input.allocationPools, cidr);
    if (input.gatewayIp !== undefined) u.gatewayIp = this.#gateway(input.gatewayIp, cidr, false);
    const gateway = u.gatewayIp !== undefined ? u.gatewayIp : s.gatewayIp;
    if (u.gatewayIp !== undefined || u.allocationPools !== undefined) this.#gatewayOutOfPools(gateway, u.allocationPools ?? s.allocationPools);
    const fx = await this.#core.transaction(async (trx) => {
      const fx = new Effects();
      if (u.gatewayIp !== undefined && s.gatewayIp !== null && u.gatewayIp !== s.gatewayIp) {
        const holder = await trx
          .selectFrom('ip_allocations')
          .innerJoin('ports', 'ports.id', 'ip_allocations.port_id')
          .select(['ports.id', 'ports.device_owner'])
          .where('ip_allocations.subnet_id', '=', id)
          .where('ip_allocations.ip_address', '=', s.gatewayIp)
          .executeTakeFirst();
        if (holder !== undefined && holder.device_owner.startsWith('network:router')) throw conflict('GatewayIpInUse', `Current gateway ip ${s.gatewayIp} already in use by port ${holder.id}. Unable to update.`);
      }
      await updateSubnet(trx, id, u);
      if (input.tags !== undefined) await replaceTags(trx, 'subnets', id, toTags(input.tags));
      await bumpNetwork(trx, s.networkId);
      fx.dhcpNetworks.add(s.networkId);
      return fx;
    });
    await this.#core.apply(fx);
    if (u.enableDhcp !== undefined) await this.#agents.scheduleNetwork(s.networkId);
    return (await findSubnet(this.#core.db, id))!;
  }

  /** Delete a subnet: 409 SubnetInUse while ports other than DHCP ports hold addresses on it (SLAAC addresses go with it). */
  async deleteSubnet(ctx: NeutronContext, id: string): Promise<void> {
    const s = await this.getSubnet(ctx, id);
    ctx.authorize('delete_subnet', { projectId: s.projectId });
    const auto = isAutoAddressSubnet(s);
    const fx = await this.#core.transaction(async (trx) => {
      const fx = new Effects();
      const holders = await portsOnSubnet(trx, id);
      if (holders.some((h) => h.deviceOwner !== 'network:dhcp' && (!auto || h.deviceOwner.startsWith('network:router')))) throw subnetInUse(id);
      for (const h of holders) {
        const port = (await loadPorts(trx, { ids: [h.portId] }))[0];
        if (port === undefined) continue;
        const mine = port.fixedIps.filter((f) => f.subnetId === id);
        await deleteAllocations(trx, port.id, mine);
        if (h.deviceOwner === 'network:dhcp' && port.fixedIps.length === mine.length) {
          await deletePortRow(trx, port.id);
          if (port.bindingHostId !== '') fx.portsDeleted.push({ host: port.bindingHostId, portId: port.id, networkId: s.networkId });
        } else if (port.bindingHostId !== '') fx.portsUpdated.push({ host: port.bindingHostId, portId: port.id });
      }
      await deleteSubnetRow(trx, id);
      await bumpNetwork(trx, s.networkId);
      fx.dhcpNetworks.add(s.networkId);
      return fx;
    });
    await this.#core.apply(fx);
    await this.#agents.scheduleNetwork(s.networkId);
  }

  /** network-ip-availability (admin): pool sizes against addresses held, per subnet. */
  async ipAvailability(ctx: NeutronContext, ids?: readonly string[]): Promise<Array<Record<string, unknown>>> {
    ctx.authorize('get_network_ip_availability');
    const nets = await loadNetworks(this.#core.db, ids !== undefined ? { ids } : {});
    const subnets = await loadSubnets(this.#core.db, { networkIds: nets.map((n) => n.id) });
    const held = await this.#core.db.selectFrom('ip_allocations').select(['subnet_id']).select((eb) => eb.fn.countAll<number>().as('n')).groupBy('subnet_id').execute();
    const used = new Map(held.map((h) => [h.subnet_id, Number(h.n)]));
    return nets.map((n) => {
      const per = subnets
        .filter((s) => s.networkId === n.id)
        .map((s) => ({
          subnet_id: s.id,
          subnet_name: s.name,
          cidr: s.cidr,
          ip_version: s.ipVersion,
          total_ips: s.allocationPools.reduce((sum, p) => sum + Number(parseIp(p.end)!.value - parseIp(p.start)!.value + 1n), 0),
          used_ips: used.get(s.id) ?? 0,
        }));
      return {
        network_id: n.id,
        network_name: n.name,
        tenant_id: n.projectId,
        project_id: n.projectId,
        total_ips: per.reduce((a, s) => a + s.total_ips, 0),
        used_ips: per.reduce((a, s) => a + s.used_ips, 0),
        subnet_ip_availability: per,
      };
    });
  }

  // ---- subnet pools ---------------------------------------------------------------------

  /** Pools the caller sees: its own and shared ones (admin: all). */
  async listPools(ctx: NeutronContext): Promise<SubnetPool[]> {
    ctx.authorize('get_subnetpool');
    return loadSubnetPools(this.#core.db, visibilityOf(ctx));
  }

  /** One visible pool; 404 otherwise. */
  async getPool(ctx: NeutronContext, id: string): Promise<SubnetPool> {
    const p = (await loadSubnetPools(this.#core.db, { ids: [id], ...visibilityOf(ctx) }))[0];
    if (p === undefined) throw notFound('SubnetPool', id);
    ctx.authorize('get_subnetpool');
    return p;
  }

  #prefixes(v: unknown): { prefixes: string[]; version: 4 | 6 } {
    const list = toList('prefixes', v);
    if (list.length === 0) throw badAttribute('prefixes', 'at least one prefix is required');
    const cidrs = list.map((e) => {
      const c = typeof e === 'string' ? parseCidr(e) : undefined;
      if (c === undefined) throw badAttribute('prefixes', `'${String(e)}' is not a valid IP subnet`);
      return c;
    });
    const version = cidrs[0]!.version;
    if (cidrs.some((c) => c.version !== version)) throw bad('PrefixVersionMismatch', 'Cannot mix IPv4 and IPv6 prefixes in a subnet pool.');
    return { prefixes: mergeCidrs(cidrs).map(formatCidr), version };
  }

  /** Create a pool. */
  async createPool(ctx: NeutronContext, input: SubnetPoolInput): Promise<SubnetPool> {
    const projectId = input.projectId ?? ctx.projectId;
    ctx.authorize('create_subnetpool', { projectId });
    const shared = optBoolean('shared', input.shared) ?? false;
    if (shared && !ctx.can('create_subnetpool:shared')) throw policyNotAuthorized('create_subnetpool:shared');
    const isDefault = optBoolean('is_default', input.isDefault) ?? false;
    if (isDefault && !ctx.can('create_subnetpool:is_default')) throw policyNotAuthorized('create_subnetpool:is_default');
    if (input.prefixes === undefined) throw bad('HTTPBadRequest', "Failed to parse request. Required attribute 'prefixes' not specified");
    const { prefixes, version } = this.#prefixes(input.prefixes);
    const maxLen = version === 4 ? 32 : 128;
    const min = input.minPrefixlen === undefined || input.minPrefixlen === null ? (version === 4 ? 8 : 64) : toInt('min_prefixlen', input.minPrefixlen);
    const max = input.maxPrefixlen === undefined || input.maxPrefixlen === null ? maxLen : toInt('max_prefixlen', input.maxPrefixlen);
    const def = input.defaultPrefixlen === undefined || input.defaultPrefixlen === null ? min : toInt('default_prefixlen', input.defaultPrefixlen);
    if (!(0 <= min && min <= def && def <= max && max <= maxLen)) throw bad('IllegalSubnetPoolPrefixBounds', `Illegal prefix bounds: min_prefixlen=${min}, default_prefixlen=${def}, max_prefixlen=${max}.`);
    const id = newId();
    await this.#core.transaction(async (trx) => {
      if (projectId !== '') await this.#core.checkQuota(trx, projectId, 'subnetpool');
      await insertSubnetPool(trx, {
        id,
        projectId,
        name: optString('name', input.name) ?? '',
        description: optString('description', input.description, 1024) ?? '',
        ipVersion: version,
        prefixes,
        defaultPrefixlen: def,
        minPrefixlen: min,
        maxPrefixlen: max,
        shared,
        isDefault,
        defaultQuota: input.defaultQuota === undefined || input.defaultQuota === null ? null : toInt('default_quota', input.defaultQuota),
        addressScopeId: null,
      });
      if (input.tags !== undefined) await replaceTags(trx, 'subnetpools', id, toTags(input.tags));
    });
    return (await loadSubnetPools(this.#core.db, { ids: [id] }))[0]!;
  }

  /** Update a pool; prefixes may only grow. */
  async updatePool(ctx: NeutronContext, id: string, input: SubnetPoolInput): Promise<SubnetPool> {
    const p = await this.getPool(ctx, id);
    ctx.authorize('update_subnetpool', { projectId: p.projectId });
    const u: Record<string, unknown> = nameAndDescription(input);
    if (input.prefixes !== undefined) {
      const { prefixes, version } = this.#prefixes(input.prefixes);
      if (version !== p.ipVersion) throw bad('PrefixVersionMismatch', 'Cannot mix IPv4 and IPv6 prefixes in a subnet pool.');
      const merged = mergeCidrs([...p.prefixes, ...prefixes].map((x) => parseCidr(x)!)).map(formatCidr);
      if (merged.length !== prefixes.length || merged.some((m, i) => m !== prefixes[i])) throw bad('IllegalSubnetPoolPrefixUpdate', 'Illegal update to prefixes: existing prefixes must be kept.');
      u.prefixes = prefixes;
    }
    for (const [key, attr, v] of [
      ['defaultPrefixlen', 'default_prefixlen', input.defaultPrefixlen],
      ['minPrefixlen', 'min_prefixlen', input.minPrefixlen],
      ['maxPrefixlen', 'max_prefixlen', input.maxPrefixlen],
    ] as const) {
      if (v !== undefined && v !== null) u[key] = toInt(attr, v);
    }
    if (input.isDefault !== undefined) {
      if (!ctx.can('update_subnetpool:is_default')) throw policyNotAuthorized('update_subnetpool:is_default');
      u.isDefault = toBoolean('is_default', input.isDefault);
    }
    if (input.defaultQuota !== undefined) u.defaultQuota = input.defaultQuota === null ? null : toInt('default_quota', input.defaultQuota);
    await this.#core.transaction(async (trx) => {
      await updateSubnetPoolRow(trx, id, u);
      if (input.tags !== undefined) await replaceTags(trx, 'subnetpools', id, toTags(input.tags));
    });
    return (await loadSubnetPools(this.#core.db, { ids: [id] }))[0]!;
  }

  /** Delete a pool no subnet uses. */
  async deletePool(ctx: NeutronContext, id: string): Promise<void> {
    const p = await this.getPool(ctx, id);
    ctx.authorize('delete_subnetpool', { projectId: p.projectId });
    await this.#core.transaction(async (trx) => {
      const used = await trx.selectFrom('subnets').select('id').where('subnetpool_id', '=', id).executeTakeFirst();
      if (used !== undefined) throw conflict('SubnetPoolInUse', `Unable to complete operation on subnet pool ${id}. Subnet pool ${id} in use.`);
      await deleteSubnetPoolRow(trx, id);
    });
  }
}
