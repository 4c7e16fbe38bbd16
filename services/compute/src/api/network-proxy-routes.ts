/** The deprecated network proxies of nova (removed at 2.36): os-security-groups and rules, server security groups, over neutron. */
import { isIP } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { contextOf, type RequestContext } from '@strata/auth';
import { BadRequest, Conflict, NotFound, OpenStackError } from '@strata/errors';
import type { ComputeApi } from '../compute-api.js';
import { proxyContext } from './route-helpers.js';

interface NeutronRule {
  id: string;
  security_group_id: string;
  direction: string;
  ethertype: string;
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
  tenant_id?: string;
  project_id?: string;
}

interface NeutronGroup {
  id: string;
  name: string;
  description: string;
  tenant_id?: string;
  project_id?: string;
  security_group_rules: NeutronRule[];
}

function ruleView(r: NeutronRule, groups: ReadonlyMap<string, NeutronGroup>): Record<string, unknown> {
  const remote = r.remote_group_id === null ? undefined : groups.get(r.remote_group_id);
  return {
    id: r.id,
    parent_group_id: r.security_group_id,
    ip_protocol: r.protocol,
    from_port: r.port_range_min ?? (r.protocol === null ? null : -1),
    to_port: r.port_range_max ?? (r.protocol === null ? null : -1),
    group: r.remote_group_id !== null ? { name: remote?.name ?? '', tenant_id: remote?.tenant_id ?? remote?.project_id ?? '' } : {},
    ip_range: r.remote_group_id === null ? { cidr: r.remote_ip_prefix ?? (r.ethertype === 'IPv6' ? '::/0' : '0.0.0.0/0') } : {},
  };
}

function groupView(g: NeutronGroup, groups: ReadonlyMap<string, NeutronGroup>): Record<string, unknown> {
  return {
    id: g.id,
    name: g.name,
    description: g.description ?? '',
    tenant_id: g.tenant_id ?? g.project_id ?? '',
    rules: g.security_group_rules.filter((r) => r.direction === 'ingress').map((r) => ruleView(r, groups)),
  };
}

function textField(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.trim() === '' || v.length > 255) throw new BadRequest(`Security group ${field} must be a string of 1 to 255 characters.`, {}, 'ValidationError');
  return v;
}

/** Register the security group proxy. */
export function registerNetworkProxyRoutes(app: FastifyInstance, api: ComputeApi): void {
  const neutron = <T>(ctx: RequestContext, method: string, path: string, body?: unknown): Promise<T> => api.networks.raw<T>(ctx.authToken, method, path, body, ctx.globalRequestId);
  const allGroups = async (ctx: RequestContext, all = false): Promise<Map<string, NeutronGroup>> => {
    const b = await neutron<{ security_groups: NeutronGroup[] }>(ctx, 'GET', `/security-groups${all ? '' : `?project_id=${ctx.projectId ?? ''}`}`);
    return new Map(b.security_groups.map((g) => [g.id, g]));
  };
  const getGroup = async (ctx: RequestContext, id: string): Promise<NeutronGroup> => {
    try {
      return (await neutron<{ security_group: NeutronGroup }>(ctx, 'GET', `/security-groups/${encodeURIComponent(id)}`)).security_group;
    } catch (err) {
      if (err instanceof OpenStackError && err.status === 404) throw new NotFound(`Security group ${id} not found.`, {}, 'SecurityGroupNotFound');
      throw err;
    }
  };
  const mapErr = (err: unknown): never => {
    if (err instanceof OpenStackError && err.status === 409) throw new BadRequest(err.message, {}, 'SecurityGroupRuleExists');
    if (err instanceof OpenStackError && err.status === 400) throw new BadRequest(err.message, {}, 'InvalidInput');
    throw err;
  };

  app.get('/v2.1/os-security-groups', async (request) => {
    const ctx = proxyContext(request);
    const all = ctx.isAdmin && (request.query as Record<string, string>).all_tenants !== undefined;
    const groups = await allGroups(ctx, all);
    return { security_groups: [...groups.values()].map((g) => groupView(g, groups)) };
  });
  app.post('/v2.1/os-security-groups', async (request) => {
    const ctx = proxyContext(request);
    const b = (request.body as { security_group?: Record<string, unknown> } | undefined)?.security_group;
    if (b === undefined || b === null) throw new BadRequest('security_group not specified', {}, 'ValidationError');
    const name = textField(b.name, 'name');
    const description = textField(b.description, 'description');
    const created = await neutron<{ security_group: NeutronGroup }>(ctx, 'POST', '/security-groups', { security_group: { name, description } }).catch(mapErr);
    const groups = await allGroups(ctx);
    return { security_group: groupView(created.security_group, groups) };
  });
  app.get('/v2.1/os-security-groups/:id', async (request) => {
    const ctx = proxyContext(request);
    const g = await getGroup(ctx, (request.params as { id: string }).id);
    return { security_group: groupView(g, await allGroups(ctx, ctx.isAdmin)) };
  });
  app.put('/v2.1/os-security-groups/:id', async (request) => {
    const ctx = proxyContext(request);
    const g = await getGroup(ctx, (request.params as { id: string }).id);
    const b = (request.body as { security_group?: Record<string, unknown> } | undefined)?.security_group;
    if (b === undefined || b === null) throw new BadRequest('security_group not specified', {}, 'ValidationError');
    const name = textField(b.name, 'name');
    const description = textField(b.description, 'description');
    if (g.name === 'default') throw new BadRequest('Unable to update the default security group', {}, 'InvalidInput');
    const updated = await neutron<{ security_group: NeutronGroup }>(ctx, 'PUT', `/security-groups/${g.id}`, { security_group: { name, description } }).catch(mapErr);
    return { security_group: groupView(updated.security_group, await allGroups(ctx)) };
  });
  app.delete('/v2.1/os-security-groups/:id', async (request, reply) => {
    const ctx = proxyContext(request);
    const g = await getGroup(ctx, (request.params as { id: string }).id);
    if (g.name === 'default') throw new BadRequest('Removing default security group not allowed.', {}, 'InvalidInput');
    try {
      await neutron(ctx, 'DELETE', `/security-groups/${g.id}`);
    } catch (err) {
      if (err instanceof OpenStackError && err.status === 409) throw new BadRequest(`Security group ${g.id} is in use.`, {}, 'SecurityGroupInUse');
      throw err;
    }
    return reply.code(202).send();
  });

  app.post('/v2.1/os-security-group-rules', async (request) => {
    const ctx = proxyContext(request);
    const b = (request.body as { security_group_rule?: Record<string, unknown> } | undefined)?.security_group_rule;
    if (b === undefined || b === null) throw new BadRequest('security_group_rule not specified', {}, 'ValidationError');
    const parent = String(b.parent_group_id ?? '');
    if (!/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(parent)) throw new BadRequest(`Invalid parent_group_id ${parent}`, {}, 'ValidationError');
    const g = await getGroup(ctx, parent);
    const proto = b.ip_protocol === undefined || b.ip_protocol === null ? null : String(b.ip_protocol).toLowerCase();
    if (proto !== null && !['tcp', 'udp', 'icmp'].includes(proto) && !/^\d+$/.test(proto)) throw new BadRequest(`Invalid IP protocol ${String(b.ip_protocol)}.`, {}, 'InvalidIpProtocol');
    const port = (v: unknown, name: string): number | null => {
      if (v === undefined || v === null || v === '') return null;
      const n = typeof v === 'number' ? v : /^-?\d+$/.test(String(v)) ? Number(v) : NaN;
      if (!Number.isInteger(n)) throw new BadRequest(`Invalid port range ${name}: ${String(v)}`, {}, 'InvalidPortRange');
      return n;
    };
    let from = port(b.from_port, 'from_port');
    let to = port(b.to_port, 'to_port');
    if (proto === 'tcp' || proto === 'udp') {
      if (from === null || to === null || from < 1 || to > 65535 || from > to) throw new BadRequest(`Invalid port range ${from}:${to}. Valid TCP ports should be between 1-65535`, {}, 'InvalidPortRange');
    } else if (proto === 'icmp') {
      if (from === null || to === null || from < -1 || from > 255 || to < -1 || to > 255) throw new BadRequest(`Invalid port range ${from}:${to}. For ICMP, the type:code must be valid`, {}, 'InvalidPortRange');
      if (from === -1) from = null;
      if (to === -1) to = null;
    } else if (proto === null && (from !== null || to !== null)) throw new BadRequest('Invalid IP protocol None.', {}, 'InvalidIpProtocol');
    const cidr = typeof b.cidr === 'string' && b.cidr !== '' ? b.cidr : undefined;
    if (cidr !== undefined) {
      const [ip, len] = cidr.split('/');
      if (isIP(ip ?? '') === 0 || (len !== undefined && !/^\d+$/.test(len))) throw new BadRequest(`Invalid cidr ${cidr}.`, {}, 'InvalidCidr');
    }
    const groupId = typeof b.group_id === 'string' && b.group_id !== '' ? b.group_id : undefined;
    if (groupId !== undefined) await getGroup(ctx, groupId);
    const body = {
      security_group_rule: {
        security_group_id: g.id,
        direction: 'ingress',
        ethertype: cidr !== undefined && cidr.includes(':') ? 'IPv6' : 'IPv4',
        ...(proto !== null ? { protocol: proto } : {}),
        ...(from !== null ? { port_range_min: from } : {}),
        ...(to !== null ? { port_range_max: to } : {}),
        ...(groupId !== undefined ? { remote_group_id: groupId } : { remote_ip_prefix: cidr ?? '0.0.0.0/0' }),
      },
    };
    let created: { security_group_rule: NeutronRule };
    try {
      created = await neutron<{ security_group_rule: NeutronRule }>(ctx, 'POST', '/security-group-rules', body);
    } catch (err) {
      if (err instanceof OpenStackError && err.status === 409) throw new BadRequest('This rule already exists in group', {}, 'SecurityGroupRuleExists');
      return mapErr(err);
    }
    const view = ruleView(created.security_group_rule, await allGroups(ctx, ctx.isAdmin));
    // NOTE: answer with the CIDR as the caller wrote it (neutron may store the network address).
    if (cidr !== undefined && groupId === undefined) view.ip_range = { cidr };
    return { security_group_rule: view };
  });
  app.delete('/v2.1/os-security-group-rules/:id', async (request, reply) => {
    const ctx = proxyContext(request);
    try {
      await neutron(ctx, 'DELETE', `/security-group-rules/${encodeURIComponent((request.params as { id: string }).id)}`);
    } catch (err) {
      if (err instanceof OpenStackError && err.status === 404) throw new NotFound('Security group rule not found.', {}, 'SecurityGroupRuleNotFound');
      throw err;
    }
    return reply.code(202).send();
  });

  app.get('/v2.1/servers/:id/os-security-groups', async (request) => {
    const ctx = contextOf(request);
    const i = await api.getServer(ctx, (request.params as { id: string }).id);
    ctx.authorize('os_compute_api:servers:show', { projectId: i.projectId });
    if (!(await api.networks.available(ctx.authToken))) return { security_groups: [] };
    const ports = await neutron<{ ports: Array<{ security_groups: string[] }> }>(ctx, 'GET', `/ports?device_id=${i.id}`);
    const ids = new Set(ports.ports.flatMap((p) => p.security_groups));
    const groups = await allGroups(ctx, ctx.isAdmin);
    return { security_groups: [...ids].map((id) => groups.get(id)).filter((g): g is NeutronGroup => g !== undefined).map((g) => groupView(g, groups)) };
  });
  void Conflict;
}

/**
 * Add or remove a security group (by name or id) on every port of the server; the names are kept
 * on the instance for its view. 404 when the group does not exist, 400 when removing one it lacks.
 */
export async function changeServerSecurityGroup(api: ComputeApi, ctx: RequestContext, instanceId: string, projectId: string, nameOrId: string, add: boolean): Promise<string[]> {
  const token = ctx.authToken;
  const rid = ctx.globalRequestId;
  const groups = (await api.networks.raw<{ security_groups: NeutronGroup[] }>(token, 'GET', `/security-groups?project_id=${projectId}`, undefined, rid)).security_groups;
  const g = groups.find((x) => x.id === nameOrId) ?? groups.find((x) => x.name === nameOrId);
  if (g === undefined) throw new NotFound(`Security group ${nameOrId} not found for project ${projectId}.`, {}, 'SecurityGroupNotFound');
  const ports = (await api.networks.raw<{ ports: Array<{ id: string; security_groups: string[] }> }>(token, 'GET', `/ports?device_id=${instanceId}`, undefined, rid)).ports;
  if (!add && !ports.some((p) => p.security_groups.includes(g.id))) throw new BadRequest(`Security group ${g.name} not associated with the instance`, {}, 'SecurityGroupNotAssociated');
  if (add && ports.length > 0 && ports.every((p) => p.security_groups.includes(g.id))) throw new BadRequest(`Security group ${g.name} is already associated with the instance`, {}, 'SecurityGroupExistsForInstance');
  for (const p of ports) {
    const next = add ? [...new Set([...p.security_groups, g.id])] : p.security_groups.filter((x) => x !== g.id);
    await api.networks.raw(token, 'PUT', `/ports/${p.id}`, { port: { security_groups: next } }, rid);
  }
  return [g.name];
}
