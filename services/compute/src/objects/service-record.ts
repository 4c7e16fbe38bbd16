/**
 * nova services (one per binary per host), compute nodes with their resources, and the claims
 * the scheduler makes on them. Version history: 1.0 - initial.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { NotFound } from '@strata/errors';
import { isUniqueViolation, nextId, nowIso, toBool } from '@strata/db';
import type { ComputeDatabase, ComputeNodeTable, ServiceTable } from '../db/schema.js';

/** A service record (`os-services`). */
export interface ServiceRecord {
  readonly uuid: string;
  readonly numId: number;
  readonly host: string;
  readonly binary: string;
  readonly topic: string;
  readonly disabled: boolean;
  readonly disabledReason: string | null;
  readonly forcedDown: boolean;
  readonly reportCount: number;
  readonly lastSeenUp: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** The resources one instance takes on a host. */
export interface ResourceClaim {
  readonly vcpus: number;
  readonly memoryMb: number;
  readonly diskGb: number;
}

/** What a compute host reports about itself. */
export interface NodeReport {
  readonly host: string;
  readonly hypervisorHostname: string;
  readonly hypervisorType: string;
  readonly hypervisorVersion: number;
  readonly hostIp: string;
  readonly availabilityZone: string;
  readonly vcpus: number;
  readonly memoryMb: number;
  readonly localGb: number;
  readonly cpuAllocationRatio: number;
  readonly ramAllocationRatio: number;
  readonly diskAllocationRatio: number;
  readonly cpuInfo: string;
}

/**
 * A compute node (`os-hypervisors`): what its host last reported, plus its ids and what claims use
 * of it (usage is owned by claims, never by reports).
 */
export interface ComputeNode extends NodeReport {
  readonly uuid: string;
  readonly numId: number;
  readonly vcpusUsed: number;
  readonly memoryMbUsed: number;
  readonly localGbUsed: number;
  readonly runningVms: number;
  readonly updatedAt: string;
}

function serviceFromRow(r: ServiceTable): ServiceRecord {
  return {
    uuid: r.uuid,
    numId: Number(r.num_id),
    host: r.host,
    binary: r.binary,
    topic: r.topic,
    disabled: toBool(r.disabled),
    disabledReason: r.disabled_reason,
    forcedDown: toBool(r.forced_down),
    reportCount: Number(r.report_count),
    lastSeenUp: r.last_seen_up,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function nodeFromRow(r: ComputeNodeTable): ComputeNode {
  return {
    uuid: r.uuid,
    numId: Number(r.num_id),
    host: r.host,
    hypervisorHostname: r.hypervisor_hostname,
    hypervisorType: r.hypervisor_type,
    hypervisorVersion: Number(r.hypervisor_version),
    hostIp: r.host_ip,
    availabilityZone: r.availability_zone,
    vcpus: Number(r.vcpus),
    memoryMb: Number(r.memory_mb),
    localGb: Number(r.local_gb),
    vcpusUsed: Number(r.vcpus_used),
    memoryMbUsed: Number(r.memory_mb_used),
    localGbUsed: Number(r.local_gb_used),
    runningVms: Number(r.running_vms),
    cpuAllocationRatio: Number(r.cpu_allocation_ratio),
    ramAllocationRatio: Number(r.ram_allocation_ratio),
    diskAllocationRatio: Number(r.disk_allocation_ratio),
    cpuInfo: r.cpu_info,
    updatedAt: r.updated_at,
  };
}

/** True when the service reported within `downTimeMs` and is not forced down. */
export function serviceIsUp(s: ServiceRecord, downTimeMs: number, now = Date.now()): boolean {
  if (s.forcedDown) return false;
  const seen = s.lastSeenUp ?? s.updatedAt;
  return now - Date.parse(seen) <= downTimeMs;
}

type Db = Kysely<ComputeDatabase>;

/** Insert a row with a new num_id (never one a deleted service or node had). */
async function insertWithNumId<T>(db: Db, table: 'services' | 'compute_nodes', build: (numId: number) => T): Promise<T> {
  const numId = await nextId(db, table, 'num_id');
  const row = build(numId);
  await db.insertInto(table).values(row as never).execute();
  return row;
}

/** Services, compute nodes and host claims. */
export class ServiceStore {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  /** The service of `binary` on `host`, created on first start; a restart keeps its id and state. */
  async register(host: string, binary: string, topic: string): Promise<ServiceRecord> {
    const existing = await this.#db.selectFrom('services').selectAll().where('host', '=', host).where('binary', '=', binary).executeTakeFirst();
    const now = nowIso();
    if (existing !== undefined) {
      await this.#db.updateTable('services').set({ last_seen_up: now, updated_at: now }).where('uuid', '=', existing.uuid).execute();
      return serviceFromRow({ ...existing, last_seen_up: now, updated_at: now });
    }
    try {
      const row = await insertWithNumId<ServiceTable>(this.#db, 'services', (numId) => ({
        uuid: randomUUID(),
        num_id: numId,
        host,
        binary,
        topic,
        disabled: false,
        disabled_reason: null,
        forced_down: false,
        report_count: 0,
        last_seen_up: now,
        created_at: now,
        updated_at: now,
      }));
      return serviceFromRow(row);
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      return this.register(host, binary, topic);
    }
  }

  /** A heartbeat: bump report_count and last_seen_up. */
  async heartbeat(uuid: string): Promise<void> {
    const now = nowIso();
    await this.#db.updateTable('services').set((eb) => ({ report_count: eb('report_count', '+', 1), last_seen_up: now, updated_at: now })).where('uuid', '=', uuid).execute();
  }

  async listServices(filter: { host?: string; binary?: string } = {}): Promise<ServiceRecord[]> {
    let q = this.#db.selectFrom('services').selectAll();
    if (filter.host !== undefined) q = q.where('host', '=', filter.host);
    if (filter.binary !== undefined) q = q.where('binary', '=', filter.binary);
    const rows = await q.orderBy('num_id').execute();
    return rows.map(serviceFromRow);
  }

  /** By uuid or numeric id; 404 ServiceNotFound. */
  async getService(id: string): Promise<ServiceRecord> {
    const q = this.#db.selectFrom('services').selectAll();
    const r = /^\d+$/.test(id) ? await q.where('num_id', '=', Number(id)).executeTakeFirst() : await q.where('uuid', '=', id).executeTakeFirst();
    if (r === undefined) throw new NotFound(`Service ${id} could not be found.`, { serviceId: id }, 'ServiceNotFound');
    return serviceFromRow(r);
  }

  async updateService(uuid: string, changes: { disabled?: boolean; disabledReason?: string | null; forcedDown?: boolean }): Promise<ServiceRecord> {
    const set: Partial<ServiceTable> = { updated_at: nowIso() };
    if (changes.disabled !== undefined) set.disabled = changes.disabled;
    if (changes.disabledReason !== undefined) set.disabled_reason = changes.disabledReason;
    if (changes.forcedDown !== undefined) set.forced_down = changes.forcedDown;
    await this.#db.updateTable('services').set(set).where('uuid', '=', uuid).execute();
    return this.getService(uuid);
  }

  async deleteService(uuid: string): Promise<void> {
    const s = await this.getService(uuid);
    await this.#db.deleteFrom('services').where('uuid', '=', uuid).execute();
    if (s.binary === 'nova-compute') await this.#db.deleteFrom('compute_nodes').where('host', '=', s.host).execute();
  }

  /** Write a host's report; usage columns are owned by claims, not by reports. */
  async reportNode(r: NodeReport): Promise<ComputeNode> {
    const now = nowIso();
    const set = {
      hypervisor_hostname: r.hypervisorHostname,
      hypervisor_type: r.hypervisorType,
      hypervisor_version: r.hypervisorVersion,
      host_ip: r.hostIp,
      availability_zone: r.availabilityZone,
      vcpus: r.vcpus,
      memory_mb: r.memoryMb,
      local_gb: r.localGb,
      cpu_allocation_ratio: r.cpuAllocationRatio,
      ram_allocation_ratio: r.ramAllocationRatio,
      disk_allocation_ratio: r.diskAllocationRatio,
      cpu_info: r.cpuInfo,
      updated_at: now,
    };
    const res = await this.#db.updateTable('compute_nodes').set(set).where('host', '=', r.host).executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) {
      try {
        await insertWithNumId<ComputeNodeTable>(this.#db, 'compute_nodes', (numId) => ({ uuid: randomUUID(), num_id: numId, host: r.host, ...set, vcpus_used: 0, memory_mb_used: 0, local_gb_used: 0, running_vms: 0 }));
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
      }
    }
    return this.getNodeByHost(r.host);
  }

  async listNodes(): Promise<ComputeNode[]> {
    const rows = await this.#db.selectFrom('compute_nodes').selectAll().orderBy('num_id').execute();
    return rows.map(nodeFromRow);
  }

  async getNodeByHost(host: string): Promise<ComputeNode> {
    const r = await this.#db.selectFrom('compute_nodes').selectAll().where('host', '=', host).executeTakeFirst();
    if (r === undefined) throw new NotFound(`Compute host ${host} could not be found.`, { host }, 'ComputeHostNotFound');
    return nodeFromRow(r);
  }

  /** By uuid or numeric id; 404 HypervisorNotFound... as nova words it. */
  async getNode(id: string): Promise<ComputeNode> {
    const q = this.#db.selectFrom('compute_nodes').selectAll();
    const r = /^\d+$/.test(id) ? await q.where('num_id', '=', Number(id)).executeTakeFirst() : await q.where('uuid', '=', id).executeTakeFirst();
    if (r === undefined) throw new NotFound(`Hypervisor with ID '${id}' could not be found.`, { id }, 'ComputeHostNotFound');
    return nodeFromRow(r);
  }

  /**
   * Claim resources on `host` for an instance, atomically: the UPDATE only matches while the
   * host still has room under its allocation ratios. False when it has not.
   */
  async claim(host: string, instanceId: string, c: ResourceClaim): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      const res = await trx
        .updateTable('compute_nodes')
        .set((eb) => ({
          vcpus_used: eb('vcpus_used', '+', c.vcpus),
          memory_mb_used: eb('memory_mb_used', '+', c.memoryMb),
          local_gb_used: eb('local_gb_used', '+', c.diskGb),
          running_vms: eb('running_vms', '+', 1),
        }))
        .where('host', '=', host)
        .where((eb) =>
          eb.and([
            eb(eb('vcpus_used', '+', c.vcpus), '<=', eb('vcpus', '*', eb.ref('cpu_allocation_ratio'))),
            eb(eb('memory_mb_used', '+', c.memoryMb), '<=', eb('memory_mb', '*', eb.ref('ram_allocation_ratio'))),
            eb(eb('local_gb_used', '+', c.diskGb), '<=', eb('local_gb', '*', eb.ref('disk_allocation_ratio'))),
          ]),
        )
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) return false;
      await trx.deleteFrom('allocations').where('instance_id', '=', instanceId).execute();
      await trx.insertInto('allocations').values({ instance_id: instanceId, host, vcpus: c.vcpus, memory_mb: c.memoryMb, disk_gb: c.diskGb }).execute();
      return true;
    });
  }

  /** Give back what an instance holds (idempotent). */
  async release(instanceId: string): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const a = await trx.selectFrom('allocations').selectAll().where('instance_id', '=', instanceId).executeTakeFirst();
      if (a === undefined) return;
      await trx.deleteFrom('allocations').where('instance_id', '=', instanceId).execute();
      await trx
        .updateTable('compute_nodes')
        .set((eb) => ({
          vcpus_used: eb('vcpus_used', '-', Number(a.vcpus)),
          memory_mb_used: eb('memory_mb_used', '-', Number(a.memory_mb)),
          local_gb_used: eb('local_gb_used', '-', Number(a.disk_gb)),
          running_vms: eb('running_vms', '-', 1),
        }))
        .where('host', '=', a.host)
        .execute();
    });
  }
}
