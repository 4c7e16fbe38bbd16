/** os-server-groups, os-volume_attachments and os-interface. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { contextOf } from '@strata/auth';
import { BadRequest, Conflict, Forbidden, NotFound } from '@strata/errors';
import { queryString, type Query } from '@strata/http';
import type { ComputeApi } from '../compute-api.js';
import type { Instance } from '../objects/instance.js';
import type { ServerGroup, ServerGroupPolicy } from '../objects/server-group.js';
import type { VolumeAttachment } from '../objects/volume-attachment.js';
import type { ApiVersion } from './microversion.js';
import { bodyObject, bool, invalid, isUuid, nameField, onlyKeys, str, versionOf } from './route-helpers.js';

function groupView(g: ServerGroup, v: ApiVersion): Record<string, unknown> {
  const out: Record<string, unknown> = { id: g.id, name: g.name, members: [...g.members] };
  if (v.atLeast('2.64')) Object.assign(out, { policy: g.policy, rules: { ...g.rules } });
  else Object.assign(out, { policies: [g.policy], metadata: {} });
  if (v.atLeast('2.13')) Object.assign(out, { project_id: g.projectId, user_id: g.userId });
  return out;
}

/** A volume attachment; from 2.89 GET answers carry attachment_id and bdm_uuid instead of id. */
function attachmentView(a: VolumeAttachment, v: ApiVersion, opts: { show?: boolean } = {}): Record<string, unknown> {
  const newIds = opts.show === true && v.atLeast('2.89');
  return {
    ...(newIds ? {} : { id: a.volumeId }),
    volumeId: a.volumeId,
    serverId: a.instanceId,
    device: a.device,
    ...(v.atLeast('2.70') ? { tag: a.tag } : {}),
    ...(v.atLeast('2.79') ? { delete_on_termination: a.deleteOnTermination } : {}),
    ...(newIds ? { attachment_id: a.attachmentId, bdm_uuid: a.id } : {}),
  };
}

/** Register server groups, volume attachments and interfaces. */
export function registerServerResourceRoutes(app: FastifyInstance, api: ComputeApi): void {
  // Server groups.
  app.get('/v2.1/os-server-groups', async (request) => {
    const ctx = contextOf(request);
    ctx.authorize('os_compute_api:os-server-groups');
    const q = request.query as Query;
    const allProjects = ctx.isAdmin && queryString(q, 'all_projects') !== undefined && queryString(q, 'all_projects') !== 'false';
    let list = await api.groups.list(allProjects ? undefined : ctx.projectId);
    const offset = Number(queryString(q, 'offset') ?? 0);
    const limit = queryString(q, 'limit');
    list = list.slice(offset, limit !== undefined ? offset + Number(limit) : undefined);
    return { server_groups: list.map((g) => groupView(g, versionOf(request))) };
  });
  app.post('/v2.1/os-server-groups', async (request) => {
    const ctx = contextOf(request);
    ctx.authorize('os_compute_api:os-server-groups');
    const v = versionOf(request);
    const b = bodyObject(request, 'server_group');
    const name = nameField(b, 'name', true) as string;
    let policy: string;
    const allowedPolicies = v.atLeast('2.15') ? ['affinity', 'anti-affinity', 'soft-affinity', 'soft-anti-affinity'] : ['affinity', 'anti-affinity'];
    let rules: Record<string, number> = {};
    if (v.atLeast('2.64')) {
      onlyKeys(b, ['name', 'policy', 'rules'], 'server_group');
      if (b.policy === undefined) throw invalid('policy', "'policy' is a required property");
      policy = String(b.policy);
      if (b.rules !== undefined) {
        if (b.rules === null || typeof b.rules !== 'object' || Array.isArray(b.rules)) throw invalid('rules', `${JSON.stringify(b.rules)} is not of type 'object'`);
        const r = b.rules as Record<string, unknown>;
        onlyKeys(r, ['max_server_per_host'], 'rules');
        if (r.max_server_per_host !== undefined) {
          const m = r.max_server_per_host;
          const n = typeof m === 'number' ? m : typeof m === 'string' && /^\d+$/.test(m) ? Number(m) : NaN;
          if (!Number.isInteger(n) || n < 1) throw invalid('rules/max_server_per_host', `${JSON.stringify(m)} is not valid`);
          if (policy !== 'anti-affinity') throw new BadRequest('Only anti-affinity policy supports max_server_per_host rule.', {}, 'ValidationError');
          rules = { max_server_per_host: n };
        }
      }
    } else {
      onlyKeys(b, ['name', 'policies'], 'server_group');
      if (!Array.isArray(b.policies) || b.policies.length !== 1) throw invalid('policies', `${JSON.stringify(b.policies)} is not valid`);
      policy = String(b.policies[0]);
    }
    if (!allowedPolicies.includes(policy)) throw invalid('policies', `'${policy}' is not one of ${JSON.stringify(allowedPolicies)}`);
    const projectId = ctx.projectId ?? '';
    const limits = await api.quotas.limits(projectId);
    if (limits.server_groups >= 0 && (await api.groups.count(projectId)) >= limits.server_groups) throw new Forbidden('Quota exceeded, too many server groups.', {}, 'OverQuota');
    const g = await api.groups.create({ name, policy: policy as ServerGroupPolicy, rules, projectId, userId: ctx.userId });
    return { server_group: groupView(g, v) };
  });
  const ownGroup = async (request: FastifyRequest): Promise<ServerGroup> => {
    const ctx = contextOf(request);
    ctx.authorize('os_compute_api:os-server-groups');
    const g = await api.groups.get((request.params as { id: string }).id);
    if (!ctx.isAdmin && g.projectId !== ctx.projectId) throw new NotFound(`Instance group ${g.id} could not be found.`, {}, 'InstanceGroupNotFound');
    return g;
  };
  app.get('/v2.1/os-server-groups/:id', async (request) => ({ server_group: groupView(await ownGroup(request), versionOf(request)) }));
  app.delete('/v2.1/os-server-groups/:id', async (request, reply) => {
    const g = await ownGroup(request);
    await api.groups.delete(g.id);
    return reply.code(204).send();
  });

  // Volume attachments.
  const server = async (request: FastifyRequest, rule: string): Promise<Instance> => {
    const ctx = contextOf(request);
    const i = await api.getServer(ctx, (request.params as { id: string }).id);
    ctx.authorize(rule, { projectId: i.projectId });
    return i;
  };
  app.get('/v2.1/servers/:id/os-volume_attachments', async (request) => {
    const i = await server(request, 'os_compute_api:os-volumes-attachments');
    const q = request.query as Query;
    let list = await api.attachments.list(i.id);
    const offset = Number(queryString(q, 'offset') ?? 0);
    const limit = queryString(q, 'limit');
    list = list.slice(offset, limit !== undefined ? offset + Number(limit) : undefined);
    return { volumeAttachments: list.map((a) => attachmentView(a, versionOf(request), { show: true })) };
  });
  app.get('/v2.1/servers/:id/os-volume_attachments/:volumeId', async (request) => {
    const i = await server(request, 'os_compute_api:os-volumes-attachments');
    const a = await api.attachments.get(i.id, (request.params as { volumeId: string }).volumeId);
    return { volumeAttachment: attachmentView(a, versionOf(request), { show: true }) };
  });
  app.post('/v2.1/servers/:id/os-volume_attachments', async (request) => {
    const v = versionOf(request);
    const i = await server(request, 'os_compute_api:os-volumes-attachments');
    const b = bodyObject(request, 'volumeAttachment');
    onlyKeys(b, ['volumeId', 'device', ...(v.atLeast('2.49') ? ['tag'] : []), ...(v.atLeast('2.79') ? ['delete_on_termination'] : [])], 'volumeAttachment');
    const volumeId = str(b, 'volumeId', { required: true }) as string;
    if (!isUuid(volumeId)) throw invalid('volumeId', `'${volumeId}' is not a 'uuid'`);
    const device = str(b, 'device', { nullable: true }) ?? null;
    if (device !== null && device !== '' && !/^\/dev\/[a-z0-9]+$/.test(device)) throw invalid('device', `'${device}' does not match '(^/dev/x{0,1}[a-z]{0,1}d{0,1})([a-z]+)[0-9]*$'`);
    const tag = str(b, 'tag', { max: 60 }) ?? null;
    const dot = bool(b, 'delete_on_termination') ?? false;
    const { device: dev } = await api.attachVolume(contextOf(request), i, volumeId, device, tag, dot);
    const a: VolumeAttachment = { id: volumeId, instanceId: i.id, volumeId, device: dev, tag, deleteOnTermination: dot, attachmentId: null, createdAt: '' };
    return { volumeAttachment: attachmentView(a, v) };
  });
  app.put('/v2.1/servers/:id/os-volume_attachments/:volumeId', async (request, reply) => {
    const v = versionOf(request);
    const i = await server(request, 'os_compute_api:os-volumes-attachments');
    const b = bodyObject(request, 'volumeAttachment');
    onlyKeys(b, ['volumeId', ...(v.atLeast('2.85') ? ['device', 'tag', 'delete_on_termination', 'server_id', 'id'] : [])], 'volumeAttachment');
    const volumeId = str(b, 'volumeId', { required: true }) as string;
    if (!isUuid(volumeId)) throw invalid('volumeId', `'${volumeId}' is not a 'uuid'`);
    const a = await api.attachments.get(i.id, (request.params as { volumeId: string }).volumeId);
    if (volumeId !== a.volumeId) throw new BadRequest('Swapping volumes is not supported.', {}, 'NotSupported');
    // 2.85: the same volume - only delete_on_termination may change.
    if (v.atLeast('2.85')) {
      for (const [k, cur] of [['device', a.device], ['tag', a.tag], ['server_id', i.id], ['id', a.volumeId]] as const) {
        if (b[k] !== undefined && b[k] !== cur) throw new BadRequest(`Invalid input: '${k}' cannot be changed; only delete_on_termination can be updated.`, {}, 'ValidationError');
      }
      const dot = bool(b, 'delete_on_termination');
      if (dot !== undefined && dot !== a.deleteOnTermination) {
        if (i.locked && !contextOf(request).isAdmin) throw new Conflict(`Instance ${i.id} is locked`, {}, 'InstanceIsLocked');
        await api.attachments.setDeleteOnTermination(i.id, a.volumeId, dot);
      }
    }
    return reply.code(202).send();
  });
  app.delete('/v2.1/servers/:id/os-volume_attachments/:volumeId', async (request, reply) => {
    const i = await server(request, 'os_compute_api:os-volumes-attachments');
    const volumeId = (request.params as { volumeId: string }).volumeId;
    if (i.rootDeviceName !== null && (await api.attachments.list(i.id)).some((a) => a.volumeId === volumeId && a.device === i.rootDeviceName && i.imageRef === '')) {
      throw new BadRequest("Can't detach root device volume", {}, 'InvalidVolume');
    }
    await api.detachVolume(contextOf(request), i, volumeId);
    return reply.code(202).send();
  });

  // os-server-password (the fake guest never posts one).
  app.get('/v2.1/servers/:id/os-server-password', async (request) => {
    await server(request, 'os_compute_api:servers:show');
    return { password: '' };
  });
  app.delete('/v2.1/servers/:id/os-server-password', async (request, reply) => {
    await server(request, 'os_compute_api:servers:show');
    return reply.code(204).send();
  });

  // Interfaces.
  const ifaceView = (p: Instance['networkInfo'][number], v: ApiVersion): Record<string, unknown> => ({
    port_state: 'ACTIVE',
    fixed_ips: p.ips.map((ip) => ({ subnet_id: '', ip_address: ip.address })),
    port_id: p.portId,
    net_id: p.networkId,
    mac_addr: p.macAddress,
    ...(v.atLeast('2.70') ? { tag: p.tag ?? null } : {}),
  });
  app.get('/v2.1/servers/:id/os-interface', async (request) => {
    const i = await server(request, 'os_compute_api:os-attach-interfaces');
    return { interfaceAttachments: i.networkInfo.map((p) => ifaceView(p, versionOf(request))) };
  });
  app.get('/v2.1/servers/:id/os-interface/:portId', async (request) => {
    const i = await server(request, 'os_compute_api:os-attach-interfaces');
    const p = i.networkInfo.find((x) => x.portId === (request.params as { portId: string }).portId);
    if (p === undefined) throw new NotFound(`Port ${(request.params as { portId: string }).portId} is not attached`, {}, 'PortNotFound');
    return { interfaceAttachment: ifaceView(p, versionOf(request)) };
  });
  app.post('/v2.1/servers/:id/os-interface', async (request) => {
    const i = await server(request, 'os_compute_api:os-attach-interfaces');
    const b = (request.body as { interfaceAttachment?: Record<string, unknown> } | undefined)?.interfaceAttachment ?? {};
    const portId = typeof b.port_id === 'string' ? b.port_id : null;
    const netId = typeof b.net_id === 'string' ? b.net_id : null;
    if (portId !== null && netId !== null) throw new BadRequest('Must not input both network_id and port_id', {}, 'ValidationError');
    const fixed = Array.isArray(b.fixed_ips) ? ((b.fixed_ips[0] as { ip_address?: string } | undefined)?.ip_address ?? null) : null;
    if (fixed !== null && netId === null) throw new BadRequest('Must input network_id when request IP address', {}, 'ValidationError');
    const newPort = await api.attachInterface(contextOf(request), i, { networkId: netId, portId, fixedIp: fixed });
    const updated = await api.instances.get(i.id);
    const p = updated.networkInfo.find((x) => x.portId === newPort);
    return { interfaceAttachment: p === undefined ? { port_id: newPort } : ifaceView(p, versionOf(request)) };
  });
  // Server migrations (2.22-2.24, 2.65): Strata has no live migration, so none is ever in progress.
  const since = (request: FastifyRequest, version: string): void => {
    if (!versionOf(request).atLeast(version)) throw new NotFound('The resource could not be found.', {}, 'NotFound');
  };
  app.get('/v2.1/servers/:id/migrations', async (request) => {
    since(request, '2.23');
    await server(request, 'os_compute_api:os-migrate-server');
    return { migrations: [] };
  });
  app.get('/v2.1/servers/:id/migrations/:mid', async (request) => {
    since(request, '2.23');
    const i = await server(request, 'os_compute_api:os-migrate-server');
    const mid = (request.params as { mid: string }).mid;
    throw new NotFound(`In-progress live migration ${mid} is not found for server ${i.id}.`, {}, 'MigrationNotFoundForInstance');
  });
  app.delete('/v2.1/servers/:id/migrations/:mid', async (request) => {
    since(request, '2.24');
    const i = await server(request, 'os_compute_api:os-migrate-server');
    if (i.locked && !contextOf(request).isAdmin) throw new Conflict(`Instance ${i.id} is locked`, {}, 'InstanceIsLocked');
    throw new Conflict(`Cannot 'live_migration_abort' instance ${i.id} while it is in task_state ${i.taskState ?? 'None'}`, {}, 'InstanceInvalidState');
  });
  app.post('/v2.1/servers/:id/migrations/:mid/action', async (request) => {
    since(request, '2.22');
    const i = await server(request, 'os_compute_api:os-migrate-server');
    const b = request.body as Record<string, unknown> | undefined;
    if (b === undefined || b === null || typeof b !== 'object' || !('force_complete' in b)) throw new BadRequest('There is no such action: None', {}, 'ValidationError');
    throw new Conflict(`Cannot 'force_complete' instance ${i.id} while it is in task_state ${i.taskState ?? 'None'}`, {}, 'InstanceInvalidState');
  });

  // Server topology (2.78): Strata guests have no NUMA topology.
  app.get('/v2.1/servers/:id/topology', async (request) => {
    since(request, '2.78');
    await server(request, 'os_compute_api:servers:show');
    return { nodes: [], pagesize_kb: null };
  });

  app.delete('/v2.1/servers/:id/os-interface/:portId', async (request, reply) => {
    const i = await server(request, 'os_compute_api:os-attach-interfaces');
    await api.detachInterface(contextOf(request), i, (request.params as { portId: string }).portId);
    return reply.code(202).send();
  });
}
