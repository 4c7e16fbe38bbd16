/** /os-quota-sets and /os-quota-class-sets: limits per project and per class, with usage; /limits: the caller's view. */
import type { FastifyInstance } from 'fastify';
import { BadRequest } from '@strata/errors';
import { queryString, type Query } from '@strata/http';
import { DB_MAX_INT, parseBool } from '../api-support.js';
import { QUOTA_RESOURCES, QuotaEngine } from '../objects/quota.js';
import type { VolumeApi } from '../volume-api.js';
import { caller, member } from './route-helpers.js';

type Params = { target: string; cls: string };

/** Keys a quota update may carry besides limits (cinder's NON_QUOTA_KEYS). */
const NON_QUOTA_KEYS = new Set(['tenant_id', 'id']);

function parseLimits(body: Record<string, unknown>, allowed: ReadonlySet<string>): Record<string, number> {
  const out: Record<string, number> = {};
  const bad = Object.keys(body).filter((k) => !allowed.has(k) && !NON_QUOTA_KEYS.has(k));
  if (bad.length > 0) throw new BadRequest(`Bad key(s) in quota set: ${bad.join(',')}`, {}, 'InvalidInput');
  for (const [k, v] of Object.entries(body)) {
    if (NON_QUOTA_KEYS.has(k)) continue;
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : Number.NaN;
    if (!Number.isInteger(n) || n < -1 || n > DB_MAX_INT) throw new BadRequest(`Invalid input for field/attribute ${k}. Value: ${String(v)}. ${k} must be an integer from -1 to ${DB_MAX_INT}.`, {}, 'ValidationError');
    out[k] = n;
  }
  return out;
}

/** Register quota, quota class and limits routes on an app scoped to `/v3/{project_id}`. */
export function registerQuotaRoutes(app: FastifyInstance, api: VolumeApi): void {
  const quotas = api.quotas;
  const resources = async (): Promise<Set<string>> => new Set([...QUOTA_RESOURCES, ...QuotaEngine.typeResources(await api.typeNames())]);

  app.get('/os-quota-sets/:target', async (request) => {
    const ctx = caller(request);
    const target = (request.params as Params).target;
    ctx.authorize('volume_extension:quotas:show', { projectId: target });
    const usageText = queryString(request.query as Query, 'usage');
    const usage = usageText !== undefined && parseBool(usageText, 'usage');
    const typeNames = await api.typeNames();
    const body = usage ? await quotas.usage(target, typeNames) : await quotas.limits(target, typeNames);
    return { quota_set: { ...body, id: target } };
  });

  app.get('/os-quota-sets/:target/defaults', async (request) => {
    const ctx = caller(request);
    const target = (request.params as Params).target;
    ctx.authorize('volume_extension:quotas:show', { projectId: target });
    return { quota_set: { ...(await quotas.classLimits(await api.typeNames())), id: target } };
  });

  app.put('/os-quota-sets/:target', { schema: { body: { type: 'object', required: ['quota_set'], properties: { quota_set: { type: 'object' } } } } }, async (request) => {
    const ctx = caller(request);
    const target = (request.params as Params).target;
    ctx.authorize('volume_extension:quotas:update', { projectId: target });
    if (target.length === 0 || target.length > 255) throw new BadRequest('quota_set_name has an invalid length.', {}, 'InvalidInput');
    const limits = parseLimits(member(request, 'quota_set'), await resources());
    await quotas.setLimits(target, limits);
    return { quota_set: await quotas.limits(target, await api.typeNames()) };
  });

  app.delete('/os-quota-sets/:target', async (request, reply) => {
    const ctx = caller(request);
    const target = (request.params as Params).target;
    ctx.authorize('volume_extension:quotas:delete', { projectId: target });
    await quotas.deleteLimits(target);
    return reply.code(200).send();
  });

  app.get('/os-quota-class-sets/:cls', async (request) => {
    const ctx = caller(request);
    ctx.authorize('volume_extension:quota_classes');
    const cls = (request.params as Params).cls;
    return { quota_class_set: { ...(await quotas.classLimits(await api.typeNames(), cls)), id: cls } };
  });

  app.put('/os-quota-class-sets/:cls', { schema: { body: { type: 'object', required: ['quota_class_set'], properties: { quota_class_set: { type: 'object' } } } } }, async (request) => {
    const ctx = caller(request);
    ctx.authorize('volume_extension:quota_classes');
    const cls = (request.params as Params).cls;
    if (cls.length === 0 || cls.length > 255) throw new BadRequest('quota_class_name has an invalid length.', {}, 'InvalidInput');
    const limits = parseLimits(member(request, 'quota_class_set'), await resources());
    await quotas.setClassLimits(cls, limits);
    return { quota_class_set: await quotas.classLimits(await api.typeNames(), cls) };
  });

  app.get('/limits', async (request) => {
    const ctx = caller(request);
    ctx.authorize('limits_extension:used_limits');
    const u = await quotas.usage(ctx.projectId ?? '');
    const lim = (r: string): number => u[r]?.limit ?? -1;
    const used = (r: string): number => u[r]?.in_use ?? 0;
    return {
      limits: {
        rate: [],
        absolute: {
          maxTotalVolumes: lim('volumes'),
          maxTotalSnapshots: lim('snapshots'),
          maxTotalVolumeGigabytes: lim('gigabytes'),
          maxTotalBackups: lim('backups'),
          maxTotalBackupGigabytes: lim('backup_gigabytes'),
          totalVolumesUsed: used('volumes'),
          totalGigabytesUsed: used('gigabytes'),
          totalSnapshotsUsed: used('snapshots'),
          totalBackupsUsed: used('backups'),
          totalBackupGigabytesUsed: used('backup_gigabytes'),
        },
      },
    };
  });
}
