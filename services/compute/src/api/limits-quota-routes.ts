/** /v2.1/limits and /v2.1/os-quota-sets (show, detail, defaults, update, delete) by microversion. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { contextOf } from '@strata/auth';
import { BadRequest, Forbidden } from '@strata/errors';
import { queryString, type Query } from '@strata/http';
import type { ComputeApi } from '../compute-api.js';
import { QUOTA_RESOURCES, type QuotaLimits, type QuotaResource } from '../objects/quota.js';
import type { ApiVersion } from './microversion.js';
import { bodyObject, versionOf } from './route-helpers.js';

const NETWORK_QUOTAS: readonly QuotaResource[] = ['fixed_ips', 'floating_ips', 'security_groups', 'security_group_rules'];
const FILE_QUOTAS: readonly QuotaResource[] = ['injected_files', 'injected_file_content_bytes', 'injected_file_path_bytes'];

function shownResources(v: ApiVersion): QuotaResource[] {
  return QUOTA_RESOURCES.filter((r) => !(v.atLeast('2.36') && NETWORK_QUOTAS.includes(r)) && !(v.atLeast('2.57') && FILE_QUOTAS.includes(r)));
}

function quotaView(limits: QuotaLimits, v: ApiVersion, id?: string): Record<string, unknown> {
  const out: Record<string, unknown> = id !== undefined ? { id } : {};
  for (const r of shownResources(v)) out[r] = limits[r];
  return out;
}

async function usageOf(api: ComputeApi, projectId: string, userId: string): Promise<Partial<Record<QuotaResource, number>>> {
  const u = await api.quotas.usage(projectId);
  return { ...u, key_pairs: await api.keypairs.count(userId), server_groups: await api.groups.count(projectId) };
}

/** Register limits and quota routes. */
export function registerLimitsQuotaRoutes(app: FastifyInstance, api: ComputeApi): void {
  app.get('/v2.1/limits', async (request) => {
    const ctx = contextOf(request);
    ctx.authorize('os_compute_api:limits');
    const v = versionOf(request);
    const q = request.query as Query;
    const projectId = ctx.isAdmin ? (queryString(q, 'tenant_id') ?? ctx.projectId ?? '') : (ctx.projectId ?? '');
    const l = await api.quotas.limits(projectId);
    const u = await usageOf(api, projectId, ctx.userId);
    const absolute: Record<string, number> = {
      maxImageMeta: l.metadata_items,
      maxServerMeta: l.metadata_items,
      maxTotalInstances: l.instances,
      maxTotalCores: l.cores,
      maxTotalRAMSize: l.ram,
      maxTotalKeypairs: l.key_pairs,
      maxServerGroups: l.server_groups,
      maxServerGroupMembers: l.server_group_members,
      totalInstancesUsed: u.instances ?? 0,
      totalCoresUsed: u.cores ?? 0,
      totalRAMUsed: u.ram ?? 0,
      totalServerGroupsUsed: u.server_groups ?? 0,
    };
    if (!v.atLeast('2.57')) Object.assign(absolute, { maxPersonality: l.injected_files, maxPersonalitySize: l.injected_file_content_bytes });
    if (!v.atLeast('2.36')) Object.assign(absolute, { maxSecurityGroups: l.security_groups, maxSecurityGroupRules: l.security_group_rules, maxTotalFloatingIps: l.floating_ips, totalFloatingIpsUsed: 0, totalSecurityGroupsUsed: 0 });
    return { limits: { rate: [], absolute } };
  });

  const target = (request: FastifyRequest, rule: string): string => {
    const ctx = contextOf(request);
    const projectId = (request.params as { project: string }).project;
    ctx.authorize(rule, { projectId });
    return projectId;
  };

  app.get('/v2.1/os-quota-sets/:project', async (request) => {
    const projectId = target(request, 'os_compute_api:os-quota-sets:show');
    return { quota_set: quotaView(await api.quotas.limits(projectId), versionOf(request), projectId) };
  });
  app.get('/v2.1/os-quota-sets/:project/detail', async (request) => {
    const ctx = contextOf(request);
    const projectId = target(request, 'os_compute_api:os-quota-sets:show');
    const v = versionOf(request);
    const limits = await api.quotas.limits(projectId);
    const usage = await usageOf(api, projectId, ctx.userId);
    const out: Record<string, unknown> = { id: projectId };
    for (const r of shownResources(v)) out[r] = { limit: limits[r], in_use: usage[r] ?? 0, reserved: 0 };
    return { quota_set: out };
  });
  app.get('/v2.1/os-quota-sets/:project/defaults', async (request) => {
    const projectId = (request.params as { project: string }).project;
    contextOf(request).authorize('os_compute_api:os-quota-sets:defaults');
    return { quota_set: quotaView(await api.quotas.limits('__class__default'), versionOf(request), projectId) };
  });
  app.put('/v2.1/os-quota-sets/:project', async (request) => {
    const projectId = target(request, 'os_compute_api:os-quota-sets:update');
    const v = versionOf(request);
    const b = bodyObject(request, 'quota_set');
    const allowed = shownResources(v);
    const values: Partial<QuotaLimits> = {};
    for (const [k, raw] of Object.entries(b)) {
      if (k === 'force') continue;
      if (!allowed.includes(k as QuotaResource)) throw new BadRequest(`Additional properties are not allowed ('${k}' was unexpected)`, {}, 'ValidationError');
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : NaN;
      if (!Number.isInteger(n) || n < -1 || n > 2 ** 31 - 1) throw new BadRequest(`Invalid input for field/attribute ${k}. Value: ${JSON.stringify(raw)}.`, {}, 'ValidationError');
      values[k as QuotaResource] = n;
    }
    const usage = await api.quotas.usage(projectId);
    if (b.force !== true && b.force !== 'True' && b.force !== 'true') {
      for (const [k, n] of Object.entries(values)) {
        const used = usage[k as QuotaResource] ?? 0;
        if (n !== -1 && n !== undefined && used > n) throw new BadRequest(`Quota limit ${n} for ${k} must be greater than or equal to already used and reserved ${used}.`, {}, 'InvalidQuotaValue');
      }
    }
    await api.quotas.setLimits(projectId, values);
    return { quota_set: quotaView(await api.quotas.limits(projectId), v) };
  });
  app.delete('/v2.1/os-quota-sets/:project', async (request, reply) => {
    const projectId = target(request, 'os_compute_api:os-quota-sets:delete');
    await api.quotas.reset(projectId);
    return reply.code(202).send();
  });
  void Forbidden;
}
