/**
 * Quotas: limits (project > class `default` > configured default) and usage counters changed
 * atomically with conditional UPDATEs, so concurrent creates never exceed a limit.
 */
import { sql } from 'kysely';
import { BadRequest, OverLimit } from '@strata/errors';
import { isUniqueViolation } from '@strata/db';
import type { BlockStorageDatabase } from '../db/schema.js';
import type { Kysely } from 'kysely';


/** The resources every project has a limit for. */
export const QUOTA_RESOURCES = ['volumes', 'snapshots', 'gigabytes', 'backups', 'backup_gigabytes', 'groups', 'per_volume_gigabytes'] as const;

/** Resources whose usage is counted (per_volume_gigabytes is a limit only). */
const COUNTED = new Set(['volumes', 'snapshots', 'gigabytes', 'backups', 'backup_gigabytes', 'groups']);

/** Configured default limits (cinder's quota_volumes, quota_gigabytes ...); -1 means unlimited. */
export interface QuotaDefaults {
  readonly volumes: number;
  readonly snapshots: number;
  readonly gigabytes: number;
  readonly backups: number;
  readonly backup_gigabytes: number;
  readonly groups: number;
  readonly per_volume_gigabytes: number;
}

/** One resource's limit and usage. */
export interface QuotaUsage {
  readonly limit: number;
  readonly in_use: number;
  readonly reserved: number;
  readonly allocated: number;
}

/** 413 when a quota would be exceeded; the message and code follow cinder's exception for the resource. */
export function overQuota(resource: string, limit: number, inUse: number, requested: number): OverLimit {
  if (resource === 'gigabytes' || resource.startsWith('gigabytes_') || resource === 'backup_gigabytes') {
    return new OverLimit(
      `Requested volume or snapshot exceeds allowed ${resource} quota. Requested ${requested}G, quota is ${limit}G and ${inUse}G has been consumed.`,
      { resource, limit, inUse, requested },
      'VolumeSizeExceedsAvailableQuota',
    );
  }
  if (resource === 'snapshots' || resource.startsWith('snapshots_')) {
    return new OverLimit(`Maximum number of snapshots allowed (${limit}) exceeded for quota '${resource}'.`, { resource, limit }, 'SnapshotLimitExceeded');
  }
  return new OverLimit(`Maximum number of ${resource.split('_')[0]} allowed (${limit}) exceeded for quota '${resource}'.`, { resource, limit }, 'VolumeLimitExceeded');
}

/** Limits and usage of every project; safe to share. */
export class QuotaEngine {
  readonly #db: Kysely<BlockStorageDatabase>;
  readonly #defaults: QuotaDefaults;

  constructor(db: Kysely<BlockStorageDatabase>, defaults: QuotaDefaults) {
    this.#db = db;
    this.#defaults = defaults;
  }

  /** Per-type resource names for these type names (volumes_<t>, gigabytes_<t>, snapshots_<t>). */
  static typeResources(typeNames: readonly string[]): string[] {
    return typeNames.flatMap((t) => [`volumes_${t}`, `gigabytes_${t}`, `snapshots_${t}`]);
  }

  /** The class `default` limits: configured defaults overridden by os-quota-class-sets/default. */
  async classLimits(typeNames: readonly string[] = [], className = 'default'): Promise<Record<string, number>> {
    const out: Record<string, number> = { ...this.#defaults };
    for (const r of QuotaEngine.typeResources(typeNames)) out[r] = -1;
    const rows = await this.#db.selectFrom('quota_classes').selectAll().where('class_name', '=', className).execute();
    for (const r of rows) if (r.resource in out || className !== 'default') out[r.resource] = Number(r.hard_limit);
    return out;
  }

  /** Set class limits (os-quota-class-sets). */
  async setClassLimits(className: string, limits: Readonly<Record<string, number>>): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      for (const [resource, limit] of Object.entries(limits)) {
        await trx.deleteFrom('quota_classes').where('class_name', '=', className).where('resource', '=', resource).execute();
        await trx.insertInto('quota_classes').values({ class_name: className, resource, hard_limit: limit }).execute();
      }
    });
  }

  /** A project's effective limits. */
  async limits(projectId: string, typeNames: readonly string[] = []): Promise<Record<string, number>> {
    const out = await this.classLimits(typeNames);
    const rows = await this.#db.selectFrom('quotas').selectAll().where('project_id', '=', projectId).execute();
    for (const r of rows) out[r.resource] = Number(r.hard_limit);
    return out;
  }

  /** A project's usage counters. */
  async inUse(projectId: string): Promise<Record<string, number>> {
    const rows = await this.#db.selectFrom('quota_usages').selectAll().where('project_id', '=', projectId).execute();
    const out: Record<string, number> = {};
    for (const r of rows) out[r.resource] = Number(r.in_use);
    return out;
  }

  /** Limits with usage, per resource. */
  async usage(projectId: string, typeNames: readonly string[] = []): Promise<Record<string, QuotaUsage>> {
    const limits = await this.limits(projectId, typeNames);
    const used = await this.inUse(projectId);
    const out: Record<string, QuotaUsage> = {};
    for (const [resource, limit] of Object.entries(limits)) out[resource] = { limit, in_use: used[resource] ?? 0, reserved: 0, allocated: 0 };
    return out;
  }

  /**
   * Set a project's limits. A limit below what is in use is a 400 (cinder's "must be equal or
   * greater than existing resources"), unless it is -1.
   */
  async setLimits(projectId: string, limits: Readonly<Record<string, number>>): Promise<void> {
    const used = await this.inUse(projectId);
    for (const [resource, limit] of Object.entries(limits)) {
      if (limit < -1) throw new BadRequest(`Quota limit ${limit} for ${resource} must be -1 or greater.`);
      if (limit !== -1 && COUNTED.has(resource) && limit < (used[resource] ?? 0)) {
        throw new BadRequest(`Quota limit ${limit} for ${resource} must be equal or greater than existing resources. Current usage is ${used[resource] ?? 0}.`, { resource }, 'InvalidQuotaValue');
      }
    }
    await this.#db.transaction().execute(async (trx) => {
      for (const [resource, limit] of Object.entries(limits)) {
        await trx.deleteFrom('quotas').where('project_id', '=', projectId).where('resource', '=', resource).execute();
        await trx.insertInto('quotas').values({ project_id: projectId, resource, hard_limit: limit }).execute();
      }
    });
  }

  /** Drop a project's overrides (back to the defaults). */
  async deleteLimits(projectId: string): Promise<void> {
    await this.#db.deleteFrom('quotas').where('project_id', '=', projectId).execute();
  }

  /**
   * Add `deltas` to a project's usage, all or nothing. A positive delta is applied only while the
   * result stays within the limit (a conditional UPDATE, atomic under concurrency on every
   * engine); the first resource that would exceed its limit throws its 413 and nothing changes.
   */
  async consume(projectId: string, deltas: Readonly<Record<string, number>>, typeNames: readonly string[] = []): Promise<void> {
    const entries = Object.entries(deltas)
      .filter(([, d]) => d !== 0)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    if (entries.length === 0) return;
    const limits = await this.limits(projectId, typeNames);
    await this.#ensureRows(projectId, entries.map(([r]) => r));
    await this.#db.transaction().execute(async (trx) => {
      for (const [resource, delta] of entries) {
        const limit = limits[resource] ?? -1;
        let q = trx
          .updateTable('quota_usages')
          .set({ in_use: sql<number>`in_use + ${delta}` })
          .where('project_id', '=', projectId)
          .where('resource', '=', resource);
        if (delta > 0 && limit >= 0) q = q.where(sql<number>`in_use + ${delta}`, '<=', limit);
        const r = await q.executeTakeFirst();
        if (Number(r.numUpdatedRows) !== 1) {
          const row = await trx.selectFrom('quota_usages').select('in_use').where('project_id', '=', projectId).where('resource', '=', resource).executeTakeFirst();
          throw overQuota(resource, limit, Number(row?.in_use ?? 0), delta);
        }
      }
    });
  }

  /** Give usage back (never below zero). */
  async release(projectId: string, deltas: Readonly<Record<string, number>>): Promise<void> {
    const entries = Object.entries(deltas)
      .filter(([, d]) => d > 0)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    if (entries.length === 0) return;
    await this.#db.transaction().execute(async (trx) => {
      for (const [resource, delta] of entries) {
        await trx
          .updateTable('quota_usages')
          .set({ in_use: sql<number>`case when in_use > ${delta} then in_use - ${delta} else 0 end` })
          .where('project_id', '=', projectId)
          .where('resource', '=', resource)
          .execute();
      }
    });
  }

  async #ensureRows(projectId: string, resources: readonly string[]): Promise<void> {
    const have = new Set((await this.#db.selectFrom('quota_usages').select('resource').where('project_id', '=', projectId).where('resource', 'in', resources).execute()).map((r) => r.resource));
    for (const resource of resources) {
      if (have.has(resource)) continue;
      try {
        await this.#db.insertInto('quota_usages').values({ project_id: projectId, resource, in_use: 0 }).execute();
      } catch (err) {
        // NOTE: a concurrent request inserted it first; that is what we wanted.
        if (!isUniqueViolation(err)) throw err;
      }
    }
  }
}

/** The deltas a volume of `size` GiB of type `typeName` consumes. */
export function volumeDeltas(size: number, typeName: string, count = 1): Record<string, number> {
  return { volumes: count, gigabytes: size, [`volumes_${typeName}`]: count, [`gigabytes_${typeName}`]: size };
}

/** The deltas a snapshot of `size` GiB consumes (snapshots count in gigabytes, as cinder's no_snapshot_gb_quota=false). */
export function snapshotDeltas(size: number, typeName: string): Record<string, number> {
  return { snapshots: 1, gigabytes: size, [`snapshots_${typeName}`]: 1, [`gigabytes_${typeName}`]: size };
}

