/** Security groups and rules as neutron's securitygroups_db does: validation, the per-project default group, in-use checks. */
import { conflict, bad, badAttribute, invalidInput, securityGroupNotFound, securityGroupRuleNotFound } from './errors.js';
import { visibilityOf, type NeutronContext } from './neutron-context.js';
import type { PluginCore } from './plugin-core.js';
import type { NetworkDb } from './objects/common.js';
import { newId } from './objects/common.js';
import {
  defaultGroupOf,
  deleteSecurityGroupRow,
  deleteSecurityGroupRuleRow,
  findSecurityGroup,
  insertDefaultMarker,
  insertSecurityGroup,
  insertSecurityGroupRule,
  loadSecurityGroupRules,
  loadSecurityGroups,
  portsInGroup,
  updateSecurityGroupRow,
  type SecurityGroup,
  type SecurityGroupRule,
} from './objects/security-group.js';
import { formatCidr, parseCidr } from './ipam/cidr.js';

/** Protocol names neutron accepts, with their IP protocol numbers. */
export const IP_PROTOCOLS: Readonly<Record<string, number>> = {
  ah: 51,
  dccp: 33,
  egp: 8,
  esp: 50,
  gre: 47,
  hopopt: 0,
  icmp: 1,
  igmp: 2,
  ipip: 4,
  'ipv6-encap': 41,
  'ipv6-frag': 44,
  'ipv6-icmp': 58,
  icmpv6: 58,
  'ipv6-nonxt': 59,
  'ipv6-opts': 60,
  'ipv6-route': 43,
  ospf: 89,
  pgm: 113,
  rsvp: 46,
  sctp: 132,
  tcp: 6,
  udp: 17,
  udplite: 136,
  vrrp: 112,
};

const PORT_PROTOCOLS = new Set([6, 17, 33, 132, 136]);

/** What a rule create carries (API names already mapped). */
export interface RuleInput {
  readonly securityGroupId: string;
  readonly direction: unknown;
  readonly ethertype?: unknown;
  readonly protocol?: unknown;
  readonly portRangeMin?: unknown;
  readonly portRangeMax?: unknown;
  readonly remoteIpPrefix?: unknown;
  readonly remoteGroupId?: unknown;
  readonly description?: string;
  readonly projectId?: string;
}

function portValue(v: unknown): number | null {
  if (v === undefined || v === null) return null;
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 65535) throw bad('SecurityGroupInvalidPortValue', `Invalid value for port ${String(v)}.`);
  return n;
}

/** Protocol as stored (lowercase name or number text) and its number; null for any. */
export function normalizeProtocol(v: unknown): { text: string | null; number: number | null } {
  if (v === undefined || v === null || v === '' || v === 'any') return { text: null, number: null };
  const supported = `Security group rule protocol ${String(v)} not supported. Only protocol values [${Object.keys(IP_PROTOCOLS).join(', ')}] and integer representations [0 to 255] are supported.`;
  if (typeof v === 'number' || (typeof v === 'string' && /^\d+$/.test(v))) {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 255) throw bad('SecurityGroupRuleInvalidProtocol', supported);
    return { text: String(n), number: n };
  }
  if (typeof v !== 'string') throw bad('SecurityGroupRuleInvalidProtocol', supported);
  const name = v.toLowerCase();
  const n = IP_PROTOCOLS[name];
  if (n === undefined) throw bad('SecurityGroupRuleInvalidProtocol', supported);
  return { text: name, number: n };
}

function dupKey(r: Pick<SecurityGroupRule, 'securityGroupId' | 'direction' | 'ethertype' | 'protocol' | 'portRangeMin' | 'portRangeMax' | 'remoteIpPrefix' | 'remoteGroupId'>): string {
  const proto = r.protocol === null ? null : normalizeProtocol(r.protocol).number;
  const prefix = r.remoteIpPrefix === null || r.remoteIpPrefix === '0.0.0.0/0' || r.remoteIpPrefix === '::/0' ? null : r.remoteIpPrefix;
  return JSON.stringify([r.securityGroupId, r.direction, r.ethertype, proto, r.portRangeMin, r.portRangeMax, prefix, r.remoteGroupId]);
}

/** Security groups and their rules. */
export class SecurityGroupApi {
  readonly #core: PluginCore;

  constructor(core: PluginCore) {
    this.#core = core;
  }

  /**
   * The project's `default` group, made on first use with neutron's four standard rules (egress
   * anywhere and ingress from members of the group, for IPv4 and IPv6). Safe under concurrency:
   * the default marker's primary key lets one creator win; the loser's transaction is retried.
   */
  async ensureDefault(db: NetworkDb, projectId: string): Promise<string> {
    const existing = await defaultGroupOf(db, projectId);
    if (existing !== undefined) return existing;
    const id = newId();
    await insertDefaultMarker(db, projectId, id);
    await insertSecurityGroup(db, { id, projectId, name: 'default', description: 'Default security group' });
    for (const ethertype of ['IPv4', 'IPv6'] as const) {
      await insertSecurityGroupRule(db, { id: newId(), projectId, securityGroupId: id, direction: 'egress', ethertype, protocol: null, portRangeMin: null, portRangeMax: null, remoteIpPrefix: null, remoteGroupId: null, description: '' });
      await insertSecurityGroupRule(db, { id: newId(), projectId, securityGroupId: id, direction: 'ingress', ethertype, protocol: null, portRangeMin: null, portRangeMax: null, remoteIpPrefix: null, remoteGroupId: id, description: '' });
    }
    return id;
  }

  async #ensureCallerDefault(ctx: NeutronContext): Promise<void> {
    if (ctx.projectId === '') return;
    if ((await defaultGroupOf(this.#core.db, ctx.projectId)) !== undefined) return;
    await this.#core.transaction((trx) => this.ensureDefault(trx, ctx.projectId));
  }

  /** Groups the caller sees (its own; admin: all), after making its default group. */
  async list(ctx: NeutronContext, q: { ids?: readonly string[]; names?: readonly string[]; projectIds?: readonly string[] } = {}): Promise<SecurityGroup[]> {
    ctx.authorize('get_security_group');
    await this.#ensureCallerDefault(ctx);
    return loadSecurityGroups(this.#core.db, { ...q, ...(ctx.isAdmin ? {} : { projectIds: q.projectIds === undefined ? [ctx.projectId] : q.projectIds.filter((p) => p === ctx.projectId) }) });
  }

  /** One group the caller sees; 404 otherwise. */
  async get(ctx: NeutronContext, id: string, db: NetworkDb = this.#core.db): Promise<SecurityGroup> {
    await this.#ensureCallerDefault(ctx);
    const g = await findSecurityGroup(db, id);
    if (g === undefined || (!ctx.isAdmin && g.projectId !== ctx.projectId)) throw securityGroupNotFound(id);
    ctx.authorize('get_security_group', { projectId: g.projectId });
    return g;
  }

  /** Create a group with neutron's two egress rules. 409 for the name `default`. */
  async create(ctx: NeutronContext, input: { name?: string; description?: string; projectId?: string }): Promise<SecurityGroup> {
    const projectId = input.projectId ?? ctx.projectId;
    ctx.authorize('create_security_group', { projectId });
    const name = input.name ?? '';
    if (name === 'default') throw conflict('SecurityGroupDefaultAlreadyExists', 'Default security group already exists.');
    const id = newId();
    await this.#core.transaction(async (trx) => {
      await this.ensureDefault(trx, projectId);
      await this.#core.checkQuota(trx, projectId, 'security_group');
      await insertSecurityGroup(trx, { id, projectId, name, description: input.description ?? '' });
      for (const ethertype of ['IPv4', 'IPv6'] as const) {
        await insertSecurityGroupRule(trx, { id: newId(), projectId, securityGroupId: id, direction: 'egress', ethertype, protocol: null, portRangeMin: null, portRangeMax: null, remoteIpPrefix: null, remoteGroupId: null, description: '' });
      }
    });
    return (await findSecurityGroup(this.#core.db, id))!;
  }

  /** Rename or describe a group; the default group keeps its name. */
  async update(ctx: NeutronContext, id: string, input: { name?: string; description?: string }): Promise<SecurityGroup> {
    const g = await this.get(ctx, id);
    ctx.authorize('update_security_group', { projectId: g.projectId });
    if (input.name !== undefined && input.name !== g.name) {
      if (g.name === 'default' && (await defaultGroupOf(this.#core.db, g.projectId)) === g.id) throw conflict('SecurityGroupCannotUpdateDefault', 'Updating default security group not allowed.');
      if (input.name === 'default') throw conflict('SecurityGroupDefaultAlreadyExists', 'Default security group already exists.');
    }
    await updateSecurityGroupRow(this.#core.db, id, input);
    return (await findSecurityGroup(this.#core.db, id))!;
  }

  /** Delete a group not used by any port; only an admin deletes a default group. */
  async delete(ctx: NeutronContext, id: string): Promise<void> {
    const g = await this.get(ctx, id);
    ctx.authorize('delete_security_group', { projectId: g.projectId });
    await this.#core.transaction(async (trx) => {
      if (!ctx.isAdmin && (await defaultGroupOf(trx, g.projectId)) === id) throw conflict('SecurityGroupCannotRemoveDefault', 'Insufficient rights for removing default security group.');
      if ((await portsInGroup(trx, id)).length > 0) throw conflict('SecurityGroupInUse', `Security Group ${id} in use.`);
      // Rules of other groups that name this one as their remote group go with it (neutron's cascade).
      await trx.deleteFrom('security_group_rules').where('remote_group_id', '=', id).execute();
      await deleteSecurityGroupRow(trx, id);
    });
    this.#core.notifier.securityGroupsUpdated([id]);
  }

  /** Rules the caller sees (its own and those of its groups; admin: all). */
  async listRules(ctx: NeutronContext, q: { ids?: readonly string[]; groupIds?: readonly string[] } = {}): Promise<SecurityGroupRule[]> {
    ctx.authorize('get_security_group_rule');
    await this.#ensureCallerDefault(ctx);
    return loadSecurityGroupRules(this.#core.db, { ...q, ...visibilityOf(ctx) });
  }

  /** One rule; 404 unless visible. */
  async getRule(ctx: NeutronContext, id: string): Promise<SecurityGroupRule> {
    const r = (await loadSecurityGroupRules(this.#core.db, { ids: [id], ...visibilityOf(ctx) }))[0];
    if (r === undefined) throw securityGroupRuleNotFound(id);
    ctx.authorize('get_security_group_rule');
    return r;
  }

  /** Validate and create rules (one request may carry several: bulk); all or none. */
  async createRules(ctx: NeutronContext, inputs: readonly RuleInput[]): Promise<SecurityGroupRule[]> {
    const ids: string[] = [];
    const groups = new Set<string>();
    await this.#core.transaction(async (trx) => {
      ids.length = 0;
      for (const input of inputs) {
        const groupId = typeof input.securityGroupId === 'string' ? input.securityGroupId : '';
        const g = await findSecurityGroup(trx, groupId);
        if (g === undefined || (!ctx.isAdmin && g.projectId !== ctx.projectId)) throw securityGroupNotFound(groupId);
        const projectId = ctx.isAdmin ? (input.projectId ?? g.projectId) : g.projectId;
        ctx.authorize('create_security_group_rule', { projectId });
        const rule = await this.#validateRule(trx, ctx, input);
        const key = dupKey(rule);
        const existing = (await loadSecurityGroupRules(trx, { groupIds: [groupId] })).find((r) => dupKey(r) === key);
        if (existing !== undefined) throw conflict('SecurityGroupRuleExists', `Security group rule already exists. Rule id is ${existing.id}.`);
        await this.#core.checkQuota(trx, projectId, 'security_group_rule');
        const id = newId();
        await insertSecurityGroupRule(trx, { id, projectId, ...rule, description: input.description ?? '' });
        ids.push(id);
        groups.add(groupId);
      }
    });
    this.#core.notifier.securityGroupsUpdated([...groups]);
    const made = await loadSecurityGroupRules(this.#core.db, { ids });
    return ids.map((id) => made.find((r) => r.id === id)!);
  }

  async #validateRule(db: NetworkDb, ctx: NeutronContext, input: RuleInput): Promise<Omit<SecurityGroupRule, 'id' | 'projectId' | 'description' | 'revisionNumber' | 'createdAt' | 'updatedAt'>> {
    const direction = input.direction;
    if (direction !== 'ingress' && direction !== 'egress') throw badAttribute('direction', `${JSON.stringify(direction ?? null)} is not in ['ingress', 'egress']`);
    const ethertype = input.ethertype ?? 'IPv4';
    if (ethertype !== 'IPv4' && ethertype !== 'IPv6') throw badAttribute('ethertype', `${JSON.stringify(ethertype)} is not in ['IPv4', 'IPv6']`);
    const portMin = portValue(input.portRangeMin);
    const portMax = portValue(input.portRangeMax);
    const proto = normalizeProtocol(input.protocol);
    let remoteIpPrefix: string | null = null;
    if (input.remoteIpPrefix !== undefined && input.remoteIpPrefix !== null) {
      const c = typeof input.remoteIpPrefix === 'string' ? parseCidr(input.remoteIpPrefix) : undefined;
      if (c === undefined || (typeof input.remoteIpPrefix === 'string' && !input.remoteIpPrefix.includes('/') && !/[.:]/.test(input.remoteIpPrefix))) {
        throw badAttribute('remote_ip_prefix', `'${String(input.remoteIpPrefix)}' is not a valid IP subnet`);
      }
      if ((c.version === 4 ? 'IPv4' : 'IPv6') !== ethertype) throw bad('SecurityGroupRuleParameterConflict', `Conflicting value ethertype ${ethertype} for CIDR ${String(input.remoteIpPrefix)}`);
      remoteIpPrefix = formatCidr(c);
    }
    let remoteGroupId: string | null = null;
    if (input.remoteGroupId !== undefined && input.remoteGroupId !== null) {
      if (remoteIpPrefix !== null) throw bad('SecurityGroupRemoteGroupAndRemoteIpPrefix', 'Only remote_ip_prefix or remote_group_id may be provided.');
      const rg = typeof input.remoteGroupId === 'string' ? await findSecurityGroup(db, input.remoteGroupId) : undefined;
      if (rg === undefined || (!ctx.isAdmin && rg.projectId !== ctx.projectId)) throw securityGroupNotFound(String(input.remoteGroupId));
      remoteGroupId = rg.id;
    }
    if (portMin !== null || portMax !== null) {
      if (proto.number === null) throw bad('SecurityGroupProtocolRequiredWithPorts', 'Must also specify protocol if port range is given.');
      if (PORT_PROTOCOLS.has(proto.number)) {
        if (portMin === 0 || portMax === 0) throw bad('SecurityGroupInvalidPortValue', 'Invalid value for port 0.');
        if (portMin === null || portMax === null || portMin > portMax) throw bad('SecurityGroupInvalidPortRange', 'For TCP/UDP protocols, port_range_min must be <= port_range_max');
      } else if (proto.number === 1 || proto.number === 58) {
        if (portMin !== null && portMin > 255) throw bad('SecurityGroupInvalidIcmpValue', `Invalid value for ICMP type (port_range_min) ${portMin}. It must be 0 to 255.`);
        if (portMax !== null && portMax > 255) throw bad('SecurityGroupInvalidIcmpValue', `Invalid value for ICMP code (port_range_max) ${portMax}. It must be 0 to 255.`);
        if (portMin === null && portMax !== null) throw bad('SecurityGroupMissingIcmpType', `ICMP code (port-range-max) ${portMax} is provided but ICMP type (port-range-min) is missing.`);
      } else if (portMin !== portMax) {
        throw bad('SecurityGroupInvalidProtocolForPortRange', `Ports cannot be specified for protocol ${proto.number}; use the same value for min and max or leave both unset.`);
      }
    }
    if (ethertype === 'IPv4' && (proto.number === 58 && proto.text !== 'icmp')) throw invalidInput(`protocol ${proto.text} is not allowed with ethertype IPv4.`);
    return { securityGroupId: input.securityGroupId, direction, ethertype, protocol: proto.text, portRangeMin: portMin, portRangeMax: portMax, remoteIpPrefix, remoteGroupId };
  }

  /** Delete a rule the caller may change. */
  async deleteRule(ctx: NeutronContext, id: string): Promise<void> {
    const r = await this.getRule(ctx, id);
    ctx.authorize('delete_security_group_rule', { projectId: r.projectId });
    await deleteSecurityGroupRuleRow(this.#core.db, id);
    this.#core.notifier.securityGroupsUpdated([r.securityGroupId]);
  }

  /** Check that the caller may put a port in these groups; returns them deduplicated. 404 for any it cannot see. */
  async resolveForPort(db: NetworkDb, ctx: NeutronContext, ids: readonly string[]): Promise<string[]> {
    const unique = [...new Set(ids)];
    const groups = await loadSecurityGroups(db, { ids: unique });
    for (const id of unique) {
      const g = groups.find((x) => x.id === id);
      // A member uses its own groups; an admin may use any group (it acts for the port's project).
      if (g === undefined || (!ctx.isAdmin && g.projectId !== ctx.projectId)) throw securityGroupNotFound(id);
    }
    return unique;
  }
}
