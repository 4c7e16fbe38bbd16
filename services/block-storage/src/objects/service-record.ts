/**
 * Service records (heartbeats of cinder-scheduler and each cinder-volume backend) and the
 * capacity of their pools, which the scheduler claims from atomically.
 *
 * Version history:
 * - 1.0 - Initial version.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { NotFound } from '@strata/errors';
import { isUniqueViolation, jsonColumn, nextId, nowIso, parseJsonColumn, toBool } from '@strata/db';
import type { PoolTable, ServiceTable } from '../db/schema.js';
import type { BlockStorageDb } from './common.js';

/** A registered service. */
export interface ServiceRecord {
  readonly id: number;
  readonly uuid: string;
  /** `hostname` (scheduler) or `hostname@backend` (volume). */
  readonly host: string;
  readonly binary: string;
  readonly topic: string;
  readonly availabilityZone: string;
  readonly disabled: boolean;
  readonly disabledReason: string | null;
  readonly reportCount: number;
  readonly frozen: boolean;
  readonly capabilities: Readonly<Record<string, unknown>>;
  readonly createdAt: string;
  readonly updatedAt: string | null;
}

/** The capacity figures of one pool, as its backend reports them and the scheduler places against them. */
export interface PoolCapacity {
  readonly totalCapacityGb: number;
  readonly freeCapacityGb: number;
  /** Provisioned (claimed) GiB. */
  readonly allocatedCapacityGb: number;
  readonly reservedPercentage: number;
  readonly maxOverSubscriptionRatio: number;
  readonly thinProvisioningSupport: boolean;
  readonly thickProvisioningSupport: boolean;
}

/** One pool's capacity as last reported, plus the scheduler's claims. */
export interface PoolRecord extends PoolCapacity {
  /** `hostname@backend`. */
  readonly backend: string;
  readonly pool: string;
  readonly capabilities: Readonly<Record<string, string | number | boolean>>;
  readonly updatedAt: string;
}

function serviceFromRow(r: ServiceTable): ServiceRecord {
  return {
    id: Number(r.id),
    uuid: r.uuid,
    host: r.host,
    binary: r.binary,
    topic: r.topic,
    availabilityZone: r.availability_zone,
    disabled: toBool(r.disabled),
    disabledReason: r.disabled_reason,
    reportCount: Number(r.report_count),
    frozen: toBool(r.frozen),
    capabilities: parseJsonColumn<Record<string, unknown>>(r.capabilities, {}),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function poolFromRow(r: PoolTable): PoolRecord {
  return {
    backend: r.backend,
    pool: r.pool,
    totalCapacityGb: Number(r.total_capacity_gb),
    freeCapacityGb: Number(r.free_capacity_gb),
    allocatedCapacityGb: Number(r.allocated_capacity_gb),
    reservedPercentage: Number(r.reserved_percentage),
    maxOverSubscriptionRatio: Number(r.max_over_subscription_ratio),
    thinProvisioningSupport: toBool(r.thin_provisioning_support),
    thickProvisioningSupport: toBool(r.thick_provisioning_support),
    capabilities: parseJsonColumn<Record<string, string | number | boolean>>(r.capabilities, {}),
    updatedAt: r.updated_at,
  };
}

/** True when the service reported within `downTimeMs` (cinder's service_down_time). */
export function serviceIsUp(s: ServiceRecord, downTimeMs: number, now = Date.now()): boolean {
  const last = Date.parse(s.updatedAt ?? s.createdAt);
  return Number.isFinite(last) && now - last <= downTimeMs;
}

/** 404 ServiceNotFound. */
export class ServiceNotFound extends NotFound {
  constructor(what: string) {
    super(`Service ${what} could not be found.`, { service: what }, 'ServiceNotFound');
  }
}

/** Read and write services and pools. */
export class ServiceStore {
  readonly #db: BlockStorageDb;
  constructor(db: BlockStorageDb) {
    this.#db = db;
  }

  /** Register (or find) the service `binary` on `host`; keeps its disabled state across restarts. */
  async register(host: string, binary: string, topic: string, availabilityZone: string): Promise<ServiceRecord> {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const existing = await this.find(host, binary);
      if (existing !== undefined) {
        await this.#db.updateTable('services').set({ availability_zone: availabilityZone, topic, updated_at: nowIso() }).where('id', '=', existing.id).execute();
        return (await this.find(host, binary)) as ServiceRecord;
      }
      const id = await nextId(this.#db, 'services');
      const now = nowIso();
      try {
        await this.#db
          .insertInto('services')
          .values({ id, uuid: randomUUID(), host, binary, topic, availability_zone: availabilityZone, disabled: false, disabled_reason: null, report_count: 0, frozen: false, capabilities: null, created_at: now, updated_at: now })
          .execute();
      } catch (err) {
        // NOTE: another process registered the same host and binary at the same time; look again.
        if (!isUniqueViolation(err)) throw err;
      }
    }
    throw new Error(`could not register service ${binary} on ${host}`);
  }

  async find(host: string, binary: string): Promise<ServiceRecord | undefined> {
    const r = await this.#db.selectFrom('services').selectAll().where('host', '=', host).where('binary', '=', binary).executeTakeFirst();
    return r === undefined ? undefined : serviceFromRow(r);
  }

  /** Record a heartbeat (and the backend's capabilities). */
  async heartbeat(id: number, capabilities?: Readonly<Record<string, unknown>>): Promise<void> {
    await this.#db
      .updateTable('services')
      .set({ report_count: sql<number>`report_count + 1`, updated_at: nowIso(), ...(capabilities !== undefined ? { capabilities: jsonColumn(capabilities) } : {}) })
      .where('id', '=', id)
      .execute();
  }

  async list(filter: { host?: string; binary?: string } = {}): Promise<ServiceRecord[]> {
    let q = this.#db.selectFrom('services').selectAll().orderBy('id');
    if (filter.host !== undefined) q = q.where('host', '=', filter.host);
    if (filter.binary !== undefined) q = q.where('binary', '=', filter.binary);
    return (await q.execute()).map(serviceFromRow);
  }

  /** Enable or disable every service matching host (and binary); returns how many changed. */
  async setDisabled(host: string, binary: string | undefined, disabled: boolean, reason: string | null): Promise<number> {
    let q = this.#db.updateTable('services').set({ disabled, disabled_reason: reason }).where('host', '=', host);
    if (binary !== undefined) q = q.where('binary', '=', binary);
    return Number((await q.executeTakeFirst()).numUpdatedRows);
  }

  /** Freeze or thaw the volume services of a host. */
  async setFrozen(host: string, frozen: boolean): Promise<number> {
    const r = await this.#db.updateTable('services').set({ frozen }).where('host', '=', host).where('binary', '=', 'cinder-volume').executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async remove(id: number): Promise<void> {
    await this.#db.deleteFrom('services').where('id', '=', id).execute();
  }

  /** Write a pool's reported capacity; the allocated counter is left to claims, or set when `allocatedGb` is given. */
  async reportPool(p: Omit<PoolRecord, 'allocatedCapacityGb' | 'updatedAt'> & { allocatedGb?: number }): Promise<void> {
    const now = nowIso();
    const values = {
      total_capacity_gb: p.totalCapacityGb,
      free_capacity_gb: p.freeCapacityGb,
      reserved_percentage: p.reservedPercentage,
      max_over_subscription_ratio: p.maxOverSubscriptionRatio,
      thin_provisioning_support: p.thinProvisioningSupport,
      thick_provisioning_support: p.thickProvisioningSupport,
      capabilities: jsonColumn(p.capabilities),
      updated_at: now,
      ...(p.allocatedGb !== undefined ? { allocated_capacity_gb: p.allocatedGb } : {}),
    };
    const r = await this.#db.updateTable('pools').set(values).where('backend', '=', p.backend).where('pool', '=', p.pool).executeTakeFirst();
    if (Number(r.numUpdatedRows) > 0) return;
    try {
      await this.#db
        .insertInto('pools')
        .values({ backend: p.backend, pool: p.pool, allocated_capacity_gb: p.allocatedGb ?? 0, ...values })
        .execute();
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      await this.#db.updateTable('pools').set(values).where('backend', '=', p.backend).where('pool', '=', p.pool).execute();
    }
  }

  async pools(backend?: string): Promise<PoolRecord[]> {
    let q = this.#db.selectFrom('pools').selectAll().orderBy('backend').orderBy('pool');
    if (backend !== undefined) q = q.where('backend', '=', backend);
    return (await q.execute()).map(poolFromRow);
  }

  /**
   * Claim `sizeGb` on a pool if it still fits (the scheduler's consume_from_volume, made atomic):
   * thin pools by provisioned capacity against total × ratio, thick pools by free capacity.
   * True when the claim was made.
   */
  async claim(backend: string, pool: string, sizeGb: number, thin: boolean): Promise<boolean> {
    const base = this.#db
      .updateTable('pools')
      .set({ allocated_capacity_gb: sql<number>`allocated_capacity_gb + ${sizeGb}`, free_capacity_gb: sql<number>`free_capacity_gb - ${thin ? 0 : sizeGb}` })
      .where('backend', '=', backend)
      .where('pool', '=', pool);
    const q = thin
      ? base.where(sql<boolean>`allocated_capacity_gb + ${sizeGb} <= total_capacity_gb * max_over_subscription_ratio * (100 - reserved_percentage) / 100`)
      : base.where(sql<boolean>`free_capacity_gb - ${sizeGb} >= total_capacity_gb * reserved_percentage / 100`);
    return Number((await q.executeTakeFirst()).numUpdatedRows) === 1;
  }

  /** Give a claim back. */
  async unclaim(backend: string, pool: string, sizeGb: number, thin: boolean): Promise<void> {
    await this.#db
      .updateTable('pools')
      .set({
        allocated_capacity_gb: sql<number>`case when allocated_capacity_gb > ${sizeGb} then allocated_capacity_gb - ${sizeGb} else 0 end`,
        free_capacity_gb: sql<number>`free_capacity_gb + ${thin ? 0 : sizeGb}`,
      })
      .where('backend', '=', backend)
      .where('pool', '=', pool)
      .execute();
  }
}
