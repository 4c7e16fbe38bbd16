/** Ports as ML2 handles them: IPAM, MACs, security groups, address pairs, DHCP options, binding to a host's agent. */
import { visibilityOf, type NeutronContext } from './neutron-context.js';
import { Effects, type PluginCore } from './plugin-core.js';
import type { NetworkDb } from './objects/common.js';
import { newId } from './objects/common.js';
import { findNetwork, loadNetworks, type Network } from './objects/network.js';
import { loadSubnets } from './objects/subnet.js';
import {
  deleteAllocations,
  deletePortRow,
  findPort,
  insertAllocations,
  insertPort,
  loadPorts,
  setPortSecurityGroups,
  updatePortRow,
  type AddressPair,
  type ExtraDhcpOpt,
  type FixedIp,
  type Port,
  type PortQuery,
  type PortUpdate,
} from './objects/port.js';
import { loadFloatingIps, updateFloatingIpRow } from './objects/router.js';
import { loadAgents } from './objects/agent.js';
import { allocateIps, changedIps, parseFixedIps, type FixedIpRequest } from './ipam/ipam.js';
import { generateMac, normalizeMac } from './ipam/mac.js';
import { formatCidr, normalizeIp, parseCidr } from './ipam/cidr.js';
import { bad, badAttribute, conflict, macAddressInUse, notFound, policyNotAuthorized } from './errors.js';
import { nameAndDescription, optBoolean, optString, toDict, toList, toStringAttr, toTags } from './attributes.js';
import type { SecurityGroupApi } from './security-group-api.js';
import { L2_AGENT_TYPES, MECHANISM_DRIVERS, type Binding } from './server/ml2/mechanism-drivers.js';
import { mark, PLUGIN, SERVER, timed } from './server/flow.js';
import { replaceTags } from './objects/tag.js';

/** Owners whose ports belong to L3 and cannot be deleted through the port API. */
export const L3_OWNERS = new Set(['network:router_interface', 'network:router_gateway', 'network:floatingip', 'network:router_interface_distributed', 'network:ha_router_replicated_interface']);
/** VNIC types neutron knows. */
const VNIC_TYPES = ['normal', 'direct', 'macvtap', 'baremetal', 'direct-physical', 'virtio-forwarder', 'smart-nic', 'vdpa', 'remote-managed'];
const MAX_ADDRESS_PAIRS = 10;

/** A port create or update as the API body has it (values not yet validated). */
export interface PortInput {
  readonly networkId?: unknown;
  readonly projectId?: string;
  readonly name?: unknown;
  readonly description?: unknown;
  readonly adminStateUp?: unknown;
  readonly macAddress?: unknown;
  readonly fixedIps?: unknown;
  readonly deviceId?: unknown;
  readonly deviceOwner?: unknown;
  readonly securityGroups?: unknown;
  readonly portSecurityEnabled?: unknown;
  readonly allowedAddressPairs?: unknown;
  readonly extraDhcpOpts?: unknown;
  readonly bindingHostId?: unknown;
  readonly bindingProfile?: unknown;
  readonly bindingVnicType?: unknown;
  readonly tags?: unknown;
}

/** A port the plugin makes for itself (router, gateway, floating IP, DHCP): no quota, no policy. */
export interface InternalPortSpec {
  readonly networkId: string;
  readonly projectId: string;
  readonly deviceId: string;
  readonly deviceOwner: string;
  readonly fixedIps?: readonly FixedIpRequest[];
  readonly name?: string;
  readonly bindingHostId?: string;
  readonly id?: string;
}

function parsePairs(v: unknown, portMac: string): AddressPair[] {
  const list = v === null ? [] : toList('allowed_address_pairs', v);
  if (list.length > MAX_ADDRESS_PAIRS) throw bad('AllowedAddressPairExhausted', `The number of allowed address pair exceeds the maximum ${MAX_ADDRESS_PAIRS}.`);
  const out: AddressPair[] = [];
  for (const e of list) {
    const o = toDict('allowed_address_pairs', e);
    for (const k of Object.keys(o)) if (k !== 'ip_address' && k !== 'mac_address') throw badAttribute('allowed_address_pairs', `Unrecognized attribute(s) '${k}'`);
    if (o.ip_address === undefined) throw bad('AllowedAddressPairsMissingIP', 'AllowedAddressPair must contain ip_address');
    const c = typeof o.ip_address === 'string' ? parseCidr(o.ip_address) : undefined;
    if (c === undefined) throw badAttribute('allowed_address_pairs', `'${String(o.ip_address)}' is not a valid IP address`);
    const ip = typeof o.ip_address === 'string' && o.ip_address.includes('/') ? formatCidr(c) : (normalizeIp(o.ip_address as string) ?? String(o.ip_address));
    let mac = portMac;
    if (o.mac_address !== undefined && o.mac_address !== null) {
      const m = normalizeMac(o.mac_address);
      if (m === undefined) throw badAttribute('allowed_address_pairs', `'${String(o.mac_address)}' is not a valid MAC address`);
      mac = m;
    }
    if (out.some((p) => p.ipAddress === ip && p.macAddress === mac)) throw bad('DuplicateAddressPairInRequest', `Request contains duplicate address pair: mac_address ${mac} ip_address ${ip}.`);
    out.push({ ipAddress: ip, macAddress: mac });
  }
  return out;
}

function parseDhcpOpts(v: unknown, current: readonly ExtraDhcpOpt[]): ExtraDhcpOpt[] {
  const list = v === null ? [] : toList('extra_dhcp_opts', v);
  const out = new Map(current.map((o) => [`${o.optName}/${o.ipVersion}`, o]));
  for (const e of list) {
    const o = toDict('extra_dhcp_opts', e);
    const name = o.opt_name;
    if (typeof name !== 'string' || name === '') throw badAttribute('extra_dhcp_opts', `'${JSON.stringify(o)}' has no valid opt_name`);
    const ipVersion = o.ip_version === undefined || o.ip_version === null ? 4 : Number(o.ip_version);
    if (ipVersion !== 4 && ipVersion !== 6) throw badAttribute('extra_dhcp_opts', `ip_version ${String(o.ip_version)} is not 4 or 6`);
    const key = `${name}/${ipVersion}`;
    if (o.opt_value === null || o.opt_value === undefined) out.delete(key);
    else out.set(key, { optName: name, optValue: String(o.opt_value), ipVersion });
  }
  return [...out.values()];
}

function isAlive(heartbeat: string, downTimeMs: number): boolean {
  return Date.now() - Date.parse(heartbeat) <= downTimeMs;
}

/** Ports. */
export class PortApi {
  readonly #core: PluginCore;
  readonly #groups: SecurityGroupApi;

  constructor(core: PluginCore, groups: SecurityGroupApi) {
    this.#core = core;
    this.#groups = groups;
  }

  /** Ports the caller sees (its own and those on networks it owns; admin: all), with SQL-level filters. */
  async list(ctx: NeutronContext, q: PortQuery = {}): Promise<Port[]> {
    ctx.authorize('get_port');
    return loadPorts(this.#core.db, { ...q, ...visibilityOf(ctx) });
  }

  /** One port the caller sees; 404 otherwise. */
  async get(ctx: NeutronContext, id: string, db: NetworkDb = this.#core.db): Promise<Port> {
    const p = await findPort(db, id);
    if (p === undefined || !(await this.#visible(db, ctx, p))) throw notFound('Port', id);
    ctx.authorize('get_port');
    return p;
  }

  async #visible(db: NetworkDb, ctx: NeutronContext, p: Port): Promise<boolean> {
    if (ctx.isAdmin || p.projectId === ctx.projectId) return true;
    const n = await db.selectFrom('networks').select('project_id').where('id', '=', p.networkId).executeTakeFirst();
    return n?.project_id === ctx.projectId;
  }

  /** The binding of a port on `host` now: the first mechanism driver that can wire the network's segment through the host's live L2 agent. */
  async bind(db: NetworkDb, network: Network, host: string): Promise<Binding> {
    if (host === '') return { vifType: 'unbound', vifDetails: {} };
    const segment = network.segments[0];
    const agents = (await loadAgents(db, { hosts: [host], types: L2_AGENT_TYPES })).filter((a) => a.adminStateUp && isAlive(a.heartbeatTimestamp, this.#core.settings.agentDownTimeMs));
    if (segment !== undefined) {
      for (const driver of MECHANISM_DRIVERS) {
        for (const agent of agents.filter((a) => a.agentType === driver.agentType)) {
          const b = driver.bind(segment, agent);
          if (b !== undefined) return b;
        }
      }
    }
    this.#core.log.warn({ host, networkId: network.id, agents: agents.length }, 'failed to bind port: no live agent on the host can wire the network');
    return { vifType: 'binding_failed', vifDetails: {} };
  }

  /** Create ports (one, or a bulk request: all or none). */
  async create(ctx: NeutronContext, inputs: readonly PortInput[]): Promise<Port[]> {
    const trace = ctx.trace;
    mark(trace, 30, SERVER, 'rpc', 'neutron-server hands the port request to the in-process plugin');
    mark(trace, 31, PLUGIN, 'rpc', 'plugin receives create_port');
    const ids: string[] = [];
    const fx = await this.#core.transaction(async (trx, attempt) => {
      const fx = new Effects();
      ids.length = 0;
      for (const input of inputs) ids.push(await this.#createOne(trx, ctx, input, attempt, fx));
      return fx;
    });
    await this.#core.apply(fx);
    const made = await loadPorts(this.#core.db, { ids });
    return ids.map((id) => made.find((p) => p.id === id)!);
  }

  async #createOne(trx: NetworkDb, ctx: NeutronContext, input: PortInput, attempt: number, fx: Effects): Promise<string> {
    if (typeof input.networkId !== 'string' || input.networkId === '') throw badAttribute('network_id', `'${String(input.networkId ?? null)}' is not a valid UUID`);
    const networkId = input.networkId;
    const projectId = input.projectId ?? ctx.projectId;
    const network = await timed(ctx.trace, 32, PLUGIN, 'db', () => findNetwork(trx, networkId), 'plugin reads the network and its segment');
    if (network === undefined || (!ctx.isAdmin && network.projectId !== ctx.projectId && !network.shared && !network.external)) throw notFound('Network', networkId);
    const target = { projectId, networkProjectId: network.projectId };
    ctx.authorize('create_port', target);
    if (!ctx.isAdmin && network.projectId !== ctx.projectId && !network.shared) throw policyNotAuthorized('create_port:on_foreign_network');
    const deviceOwner = optString('device_owner', input.deviceOwner) ?? '';
    const deviceId = optString('device_id', input.deviceId) ?? '';
    if (deviceOwner.startsWith('network:') && !ctx.can('create_port:device_owner', target)) throw policyNotAuthorized('create_port:device_owner');
    for (const [v, rule] of [
      [input.bindingHostId, 'create_port:binding'],
      [input.bindingProfile, 'create_port:binding'],
    ] as const) {
      if (v !== undefined && !ctx.can(rule, target)) throw policyNotAuthorized(`${rule}:host_id`);
    }
    let mac: string;
    if (input.macAddress !== undefined) {
      if (!ctx.can('create_port:mac_address', target)) throw policyNotAuthorized('create_port:mac_address');
      const m = normalizeMac(input.macAddress);
      if (m === undefined) throw badAttribute('mac_address', `'${String(input.macAddress)}' is not a valid MAC address`);
      const used = await trx.selectFrom('ports').select('id').where('network_id', '=', networkId).where('mac_address', '=', m).executeTakeFirst();
      if (used !== undefined) throw macAddressInUse(networkId, m);
      mac = m;
    } else mac = generateMac(this.#core.settings.baseMac);
    const requests = input.fixedIps === undefined ? undefined : parseFixedIps(input.fixedIps);
    if (requests?.some((r) => r.ipAddress !== undefined) === true && !ctx.can('create_port:fixed_ips:ip_address', target)) throw policyNotAuthorized('create_port:fixed_ips:ip_address');
    const portSecurity = optBoolean('port_security_enabled', input.portSecurityEnabled) ?? network.portSecurityEnabled;
    const pairs = input.allowedAddressPairs === undefined ? [] : parsePairs(input.allowedAddressPairs, mac);
    if (pairs.length > 0 && !portSecurity) throw conflict('AddressPairAndPortSecurityRequired', 'Port Security must be enabled in order to have allowed address pairs on a port.');
    let groups: string[];
    if (input.securityGroups !== undefined && input.securityGroups !== null) {
      const list = toList('security_groups', input.securityGroups).map((g) => toStringAttr('security_groups', g, 64));
      if (list.length > 0 && !portSecurity) throw bad('PortSecurityAndIPRequiredForSecurityGroups', 'Port security must be enabled and port must have an IP address in order to use security groups.');
      groups = await this.#groups.resolveForPort(trx, ctx, list);
    } else if (portSecurity && !deviceOwner.startsWith('network:')) {
      groups = [await this.#groups.ensureDefault(trx, projectId)];
    } else groups = [];
    const vnicType = optString('binding:vnic_type', input.bindingVnicType) ?? 'normal';
    if (!VNIC_TYPES.includes(vnicType)) throw badAttribute('binding:vnic_type', `'${vnicType}' is not in ${JSON.stringify(VNIC_TYPES)}`);
    const host = optString('binding:host_id', input.bindingHostId) ?? '';
    const profile = input.bindingProfile === undefined || input.bindingProfile === null ? {} : toDict('binding:profile', input.bindingProfile);
    if (ctx.projectId !== '' || input.projectId !== undefined) await this.#core.checkQuota(trx, projectId, 'port');
    const subnets = await loadSubnets(trx, { networkIds: [networkId] });
    const id = newId();
    const fixedIps = await allocateIps(trx, networkId, subnets, requests, { macAddress: mac, deviceOwner }, attempt);
    const binding = await this.bind(trx, network, host);
    await insertPort(trx, {
      id,
      projectId,
      networkId,
      name: optString('name', input.name) ?? '',
      description: optString('description', input.description) ?? '',
      macAddress: mac,
      adminStateUp: optBoolean('admin_state_up', input.adminStateUp) ?? true,
      status: 'DOWN',
      deviceId,
      deviceOwner,
      portSecurityEnabled: portSecurity,
      bindingHostId: host,
      bindingVifType: binding.vifType,
      bindingVifDetails: binding.vifDetails,
      bindingVnicType: vnicType,
      bindingProfile: profile,
      allowedAddressPairs: pairs,
      extraDhcpOpts: input.extraDhcpOpts === undefined ? [] : parseDhcpOpts(input.extraDhcpOpts, []),
    });
    await insertAllocations(trx, id, networkId, fixedIps);
    await setPortSecurityGroups(trx, id, groups);
    if (input.tags !== undefined) await replaceTags(trx, 'ports', id, toTags(input.tags));
    if (host !== '' && binding.vifType !== 'binding_failed') fx.portsUpdated.push({ host, portId: id, ...this.#rpc(ctx) });
    if (fixedIps.length > 0) fx.dhcpNetworks.add(networkId);
    for (const g of groups) fx.securityGroups.add(g);
    return id;
  }

  #rpc(ctx: NeutronContext): { ctx: { requestId: string; globalRequestId?: string; roles: string[]; trace?: { traceId: string; parentStep: number } }; trace?: NonNullable<NeutronContext['trace']> } {
    const trace = ctx.trace;
    return {
      ctx: {
        requestId: ctx.requestId,
        ...(ctx.globalRequestId !== undefined ? { globalRequestId: ctx.globalRequestId } : {}),
        roles: [...ctx.roles],
        ...(trace !== undefined ? { trace: { traceId: trace.id, parentStep: 33 } } : {}),
      },
      ...(trace !== undefined ? { trace } : {}),
    };
  }

  /** Create a port for the plugin itself inside `trx`; returns its id. Fixed IPs as requested, else auto. */
  async createInternal(trx: NetworkDb, spec: InternalPortSpec, attempt: number, fx: Effects): Promise<string> {
    const network = await findNetwork(trx, spec.networkId);
    if (network === undefined) throw notFound('Network', spec.networkId);
    const subnets = await loadSubnets(trx, { networkIds: [spec.networkId] });
    const mac = generateMac(this.#core.settings.baseMac);
    const id = spec.id ?? newId();
    const fixedIps = await allocateIps(trx, spec.networkId, subnets, spec.fixedIps, { macAddress: mac, deviceOwner: spec.deviceOwner }, attempt);
    const host = spec.bindingHostId ?? '';
    const binding = await this.bind(trx, network, host);
    await insertPort(trx, {
      id,
      projectId: spec.projectId,
      networkId: spec.networkId,
      name: spec.name ?? '',
      description: '',
      macAddress: mac,
      adminStateUp: true,
      status: spec.deviceOwner === 'network:floatingip' ? 'N/A' : 'DOWN',
      deviceId: spec.deviceId,
      deviceOwner: spec.deviceOwner,
      portSecurityEnabled: false,
      bindingHostId: host,
      bindingVifType: binding.vifType,
      bindingVifDetails: binding.vifDetails,
      bindingVnicType: 'normal',
      bindingProfile: {},
      allowedAddressPairs: [],
      extraDhcpOpts: [],
    });
    await insertAllocations(trx, id, spec.networkId, fixedIps);
    if (host !== '' && binding.vifType !== 'binding_failed') fx.portsUpdated.push({ host, portId: id });
    fx.dhcpNetworks.add(spec.networkId);
    return id;
  }

  /** Update a port. */
  async update(ctx: NeutronContext, id: string, input: PortInput): Promise<Port> {
    const trace = ctx.trace;
    mark(trace, 30, SERVER, 'rpc', 'neutron-server hands the port update to the in-process plugin');
    mark(trace, 31, PLUGIN, 'rpc', 'plugin receives update_port');
    const fx = await this.#core.transaction(async (trx, attempt) => {
      const fx = new Effects();
      await this.updateInTx(trx, ctx, id, input, attempt, fx);
      return fx;
    });
    await this.#core.apply(fx);
    return (await findPort(this.#core.db, id))!;
  }

  /** The update, inside a transaction (also used by router interface and floating IP code). */
  async updateInTx(trx: NetworkDb, ctx: NeutronContext, id: string, input: PortInput, attempt: number, fx: Effects): Promise<void> {
    const port = await this.get(ctx, id, trx);
    const network = await timed(ctx.trace, 32, PLUGIN, 'db', async () => (await findNetwork(trx, port.networkId))!, 'plugin reads the network and its segment');
    const target = { projectId: port.projectId, networkProjectId: network.projectId };
    ctx.authorize('update_port', target);
    if (input.networkId !== undefined && input.networkId !== port.networkId) throw bad('HTTPBadRequest', "Cannot update read-only attribute network_id");
    if ((input.bindingHostId !== undefined || input.bindingProfile !== undefined) && !ctx.can('update_port:binding', target)) throw policyNotAuthorized('update_port:binding:host_id');
    const u: { -readonly [K in keyof PortUpdate]: PortUpdate[K] } = nameAndDescription(input);
    const admin = optBoolean('admin_state_up', input.adminStateUp);
    if (admin !== undefined) u.adminStateUp = admin;
    const deviceId = optString('device_id', input.deviceId);
    if (deviceId !== undefined) u.deviceId = deviceId;
    const deviceOwner = optString('device_owner', input.deviceOwner);
    if (deviceOwner !== undefined) u.deviceOwner = deviceOwner;
    let mac = port.macAddress;
    if (input.macAddress !== undefined) {
      const m = normalizeMac(input.macAddress);
      if (m === undefined) throw badAttribute('mac_address', `'${String(input.macAddress)}' is not a valid MAC address`);
      if (m !== port.macAddress) {
        if (!ctx.can('update_port:mac_address', target)) throw policyNotAuthorized('update_port:mac_address');
        if (port.bindingHostId !== '' && port.bindingVifType !== 'unbound') throw conflict('PortBound', `Unable to complete operation on port ${id}, port is already bound, port type: ${port.bindingVifType}, old_mac ${port.macAddress}, new_mac ${m}.`);
        const used = await trx.selectFrom('ports').select('id').where('network_id', '=', port.networkId).where('mac_address', '=', m).executeTakeFirst();
        if (used !== undefined) throw macAddressInUse(port.networkId, m);
        u.macAddress = m;
        mac = m;
      }
    }
    const portSecurity = optBoolean('port_security_enabled', input.portSecurityEnabled) ?? port.portSecurityEnabled;
    if (portSecurity !== port.portSecurityEnabled) u.portSecurityEnabled = portSecurity;
    let groups: string[] | undefined;
    if (input.securityGroups !== undefined) {
      const list = input.securityGroups === null ? [] : toList('security_groups', input.securityGroups).map((g) => toStringAttr('security_groups', g, 64));
      if (list.length > 0 && !portSecurity) throw bad('PortSecurityAndIPRequiredForSecurityGroups', 'Port security must be enabled and port must have an IP address in order to use security groups.');
      groups = await this.#groups.resolveForPort(trx, ctx, list);
    } else if (!portSecurity && port.securityGroups.length > 0) {
      throw conflict('PortSecurityPortHasSecurityGroup', 'Port has security group associated. Cannot disable port security or ip address until security group is removed.');
    }
    if (input.allowedAddressPairs !== undefined) {
      const pairs = parsePairs(input.allowedAddressPairs, mac);
      if (pairs.length > 0 && !portSecurity) throw conflict('AddressPairAndPortSecurityRequired', 'Port Security must be enabled in order to have allowed address pairs on a port.');
      u.allowedAddressPairs = pairs;
    } else if (!portSecurity && port.allowedAddressPairs.length > 0) {
      throw conflict('AddressPairAndPortSecurityRequired', 'Port Security must be enabled in order to have allowed address pairs on a port.');
    }
    if (input.extraDhcpOpts !== undefined) u.extraDhcpOpts = parseDhcpOpts(input.extraDhcpOpts, port.extraDhcpOpts);
    if (input.bindingVnicType !== undefined) {
      const v = optString('binding:vnic_type', input.bindingVnicType) ?? 'normal';
      if (!VNIC_TYPES.includes(v)) throw badAttribute('binding:vnic_type', `'${v}' is not in ${JSON.stringify(VNIC_TYPES)}`);
      u.bindingVnicType = v;
    }
    if (input.bindingProfile !== undefined) u.bindingProfile = input.bindingProfile === null ? {} : toDict('binding:profile', input.bindingProfile);
    let changedIpsFlag = false;
    if (input.fixedIps !== undefined) {
      const requests = parseFixedIps(input.fixedIps === null ? [] : input.fixedIps);
      if (requests.some((r) => r.ipAddress !== undefined && !port.fixedIps.some((f) => f.ipAddress === r.ipAddress)) && !ctx.can('create_port:fixed_ips:ip_address', target)) {
        throw policyNotAuthorized('update_port:fixed_ips:ip_address');
      }
      const subnets = await loadSubnets(trx, { networkIds: [port.networkId] });
      const change = changedIps(port.fixedIps, requests, subnets);
      await deleteAllocations(trx, id, change.remove);
      const added = change.add.length === 0 ? [] : await allocateIps(trx, port.networkId, subnets, change.add, { macAddress: mac, deviceOwner: deviceOwner ?? port.deviceOwner }, attempt);
      await insertAllocations(trx, id, port.networkId, added);
      changedIpsFlag = change.remove.length > 0 || added.length > 0;
      if (changedIpsFlag) {
        // Floating IPs on a removed address lose it.
        for (const f of change.remove) {
          for (const fip of await loadFloatingIps(trx, { fixedPortIds: [id] })) {
            if (fip.fixedIpAddress === f.ipAddress) {
              await updateFloatingIpRow(trx, fip.id, { fixedPortId: null, fixedIpAddress: null, routerId: null, status: 'DOWN' });
              if (fip.routerId !== null) fx.routers.add(fip.routerId);
            }
          }
        }
      }
    }
    let host = port.bindingHostId;
    if (input.bindingHostId !== undefined) host = optString('binding:host_id', input.bindingHostId) ?? '';
    const rebinding = host !== port.bindingHostId || (host !== '' && port.bindingVifType === 'binding_failed');
    if (rebinding) {
      const binding = await this.bind(trx, network, host);
      u.bindingHostId = host;
      u.bindingVifType = binding.vifType;
      u.bindingVifDetails = binding.vifDetails;
      u.status = 'DOWN';
    }
    await updatePortRow(trx, id, u);
    if (groups !== undefined) {
      await setPortSecurityGroups(trx, id, groups);
      for (const g of [...groups, ...port.securityGroups]) fx.securityGroups.add(g);
    }
    if (input.tags !== undefined) await replaceTags(trx, 'ports', id, toTags(input.tags));
    if (rebinding && port.bindingHostId !== '' && port.bindingHostId !== host) fx.portsDeleted.push({ host: port.bindingHostId, portId: id, networkId: port.networkId });
    const vif = rebinding ? u.bindingVifType : port.bindingVifType;
    if (host !== '' && vif !== 'binding_failed' && vif !== 'unbound') fx.portsUpdated.push({ host, portId: id, ...this.#rpc(ctx) });
    if (changedIpsFlag || u.macAddress !== undefined || u.extraDhcpOpts !== undefined) fx.dhcpNetworks.add(port.networkId);
    if (port.deviceOwner === 'network:router_interface' || port.deviceOwner === 'network:router_gateway') fx.routers.add(port.deviceId);
  }

  /** Delete a port; L3 ports are deleted through their router or floating IP (409 here). */
  async delete(ctx: NeutronContext, id: string): Promise<void> {
    const fx = await this.#core.transaction(async (trx) => {
      const fx = new Effects();
      const port = await this.get(ctx, id, trx);
      const network = await findNetwork(trx, port.networkId);
      ctx.authorize('delete_port', { projectId: port.projectId, networkProjectId: network?.projectId ?? null });
      if (L3_OWNERS.has(port.deviceOwner)) {
        const owner = port.deviceOwner === 'network:floatingip' ? await trx.selectFrom('floating_ips').select('id').where('id', '=', port.deviceId).executeTakeFirst() : await trx.selectFrom('routers').select('id').where('id', '=', port.deviceId).executeTakeFirst();
        if (owner !== undefined) throw conflict('L3PortInUse', `Port ${id} has owner ${port.deviceOwner} and therefore cannot be deleted directly via the port API.`);
      }
      await this.deleteInTx(trx, port, fx);
      return fx;
    });
    await this.#core.apply(fx);
  }

  /** Delete a port inside `trx`: addresses, groups, floating IP associations; collects the notifications. */
  async deleteInTx(trx: NetworkDb, port: Port, fx: Effects): Promise<void> {
    for (const fip of await loadFloatingIps(trx, { fixedPortIds: [port.id] })) {
      await updateFloatingIpRow(trx, fip.id, { fixedPortId: null, fixedIpAddress: null, routerId: null, status: 'DOWN' });
      if (fip.routerId !== null) fx.routers.add(fip.routerId);
    }
    await deletePortRow(trx, port.id);
    if (port.bindingHostId !== '') fx.portsDeleted.push({ host: port.bindingHostId, portId: port.id, networkId: port.networkId });
    if (port.fixedIps.length > 0) fx.dhcpNetworks.add(port.networkId);
    for (const g of port.securityGroups) fx.securityGroups.add(g);
    if (port.deviceOwner.startsWith('compute:') && port.deviceId !== '') fx.novaEvents.push({ name: 'network-vif-deleted', serverUuid: port.deviceId, tag: port.id, status: 'completed' });
  }

  /** Networks of ports, for views that need the owner of a port's network. */
  async networksOf(ports: readonly Port[]): Promise<Map<string, Network>> {
    const ids = [...new Set(ports.map((p) => p.networkId))];
    return new Map((await loadNetworks(this.#core.db, { ids })).map((n) => [n.id, n]));
  }

  /** Keep `fixedIps` as the allocation of a port (used by L3 code that moves addresses). */
  async allocate(trx: NetworkDb, port: Port, add: readonly FixedIp[]): Promise<void> {
    await insertAllocations(trx, port.id, port.networkId, add);
  }
}
