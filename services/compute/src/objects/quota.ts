/**
 * Quotas and usage with atomic claims: a conditional UPDATE per resource inside one transaction,
 * so concurrent creates never exceed a limit on any engine. Version history: 1.0 - initial.
 */
import type { Kysely } from 'kysely';
import { Forbidden } from '@strata/errors';
import { isUniqueViolation } from '@strata/db';
import type { ComputeDatabase } from '../db/schema.js';

/** Every quota resource os-quota-sets shows at some microversion. */
export const QUOTA_RESOURCES = [
  'instances',
  'cores',
  'ram',
  'metadata_items',
  'key_pairs',
  'server_groups',
  'server_group_members',
  'injected_files',
  'injected_file_content_bytes',
  'injected_file_path_bytes',
  'fixed_ips',
  'floating_ips',
  'security_groups',
  'security_group_rules',
] as const;

/** A quota resource name. */
export type QuotaResource = (typeof QUOTA_RESOURCES)[number];

/** Limits by resource; -1 is unlimited. */
export type QuotaLimits = Record<QuotaResource, number>;

/** Reads limits and usage; claims and releases usage atomically. */
export class QuotaStore {
  readonly #db: Kysely<ComputeDatabase>;
  readonly #defaults: QuotaLimits;
  constructor(db: Kysely<ComputeDatabase>, defaults: QuotaLimits) {
    this.#db = db;
    this.#defaults = Object.freeze({ ...defaults });
  }

  get defaults(): QuotaLimits {
    return { ...this.#defaults };
  }

  /** The project's limits: its own values over the defaults. */
  async limits(projectId: string): Promise<QuotaLimits> {
    // NOTE: precedence is config defaults < the "default" quota class < the project's own values.
    const rows = await this.#db.selectFrom('quotas').selectAll().where('project_id', 'in', ['__class__default', projectId]).execute();
    const out = { ...this.#defaults };
    for (const r of [...rows].sort((a, b) => Number(a.project_id === projectId) - Number(b.project_id === projectId))) {
      if ((QUOTA_RESOURCES as readonly string[]).includes(r.resource)) out[r.resource as QuotaResource] = Number(r.hard_limit);
    }
    return out;
  }

  async setLimits(projectId: string, values: Partial<QuotaLimits>): Promise<void> {
    for (const [resource, hard] of Object.entries(values)) {
      if (hard === undefined) continue;
      const res = await this.#db.updateTable('quotas').set({ hard_limit: hard }).where('project_id', '=', projectId).where('resource', '=', resource).executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) {
        try {
          await this.#db.insertInto('quotas').values({ project_id: projectId, resource, hard_limit: hard }).execute();
        } catch (err) {
          if (!isUniqueViolation(err)) throw err;
          await this.#db.updateTable('quotas').set({ hard_limit: hard }).where('project_id', '=', projectId).where('resource', '=', resource).execute();
        }
      }
    }
  }

  async reset(projectId: string): Promise<void> {
    await this.#db.deleteFrom('quotas').where('project_id', '=', projectId).execute();
  }

  /** In-use counts by resource for the project. */
  async usage(projectId: string): Promise<Partial<Record<QuotaResource, number>>> {
    const rows = await this.#db.selectFrom('quota_usages').selectAll().where('project_id', '=', projectId).execute();
    const out: Partial<Record<QuotaResource, number>> = {};
    for (const r of rows) out[r.resource as QuotaResource] = Number(r.in_use);
    return out;
  }

  /**
   * Claim `deltas` for the project, all or nothing. Throws 403 OverQuota naming the first resource
   * that would go over its limit ("Quota exceeded for cores: Requested 2, but already used 20 of 20 cores").
   */
  async claim(projectId: string, deltas: Partial<Record<QuotaResource, number>>): Promise<void> {
    const wanted = Object.entries(deltas).filter(([, d]) => d !== undefined && d > 0) as Array<[QuotaResource, number]>;
    if (wanted.length === 0) return;
    const limits = await this.limits(projectId);
    for (const [resource] of wanted) await this.#ensureRow(projectId, resource);
    await this.#db.transaction().execute(async (trx) => {
      for (const [resource, d] of wanted) {
        const limit = limits[resource];
        let q = trx.updateTable('quota_usages').set((eb) => ({ in_use: eb('in_use', '+', d) })).where('project_id', '=', projectId).where('resource', '=', resource);
        if (limit >= 0) q = q.where((eb) => eb(eb('in_use', '+', d), '<=', limit));
        const res = await q.executeTakeFirst();
        if (Number(res.numUpdatedRows) === 0) {
          const used = await trx.selectFrom('quota_usages').select('in_use').where('project_id', '=', projectId).where('resource', '=', resource).executeTakeFirst();
          throw new Forbidden(`Quota exceeded for ${resource}: Requested ${d}, but already used ${Number(used?.in_use ?? 0)} of ${limit} ${resource}`, { resource }, 'OverQuota');
        }
      }
    });
  }

  /** Give back usage (never below zero). */
  async release(projectId: string, deltas: Partial<Record<QuotaResource, number>>): Promise<void> {
    for (const [resource, d] of Object.entries(deltas)) {
      if (d === undefined || d <= 0) continue;
      await this.#db
        .updateTable('quota_usages')
        .set((eb) => ({ in_use: eb.case().when('in_use', '>=', d).then(eb('in_use', '-', d)).else(0).end() }))
        .where('project_id', '=', projectId)
        .where('resource', '=', resource)
        .execute();
    }
  }

  async #ensureRow(projectId: string, resource: string): Promise<void> {
    const r = await this.#db.selectFrom('quota_usages').select('in_use').where('project_id', '=', projectId).where('resource', '=', resource).executeTakeFirst();
    if (r !== undefined) return;
    try {
      await this.#db.insertInto('quota_usages').values({ project_id: projectId, resource, in_use: 0 }).execute();
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
  }
}
