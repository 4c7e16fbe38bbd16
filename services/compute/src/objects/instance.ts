/**
 * Instances (servers): the domain type, its states and the store. Version history:
 * 1.0 - initial: flavor snapshot, requested networks, block devices, network info, fault in the row.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { Conflict, NotFound } from '@strata/errors';
import { jsonColumn, nowIso, parseJsonColumn, toBool } from '@strata/db';
import type { ComputeDatabase, InstanceTable } from '../db/schema.js';

/** nova's vm_state values, as the API shows them in OS-EXT-STS:vm_state. */
export type VmState = 'building' | 'active' | 'stopped' | 'paused' | 'suspended' | 'error' | 'deleted' | 'shelved' | 'shelved_offloaded' | 'resized' | 'rescued' | 'soft-delete';

/** nova's power states (nova/compute/power_state.py). */
export const PowerState = { NOSTATE: 0, RUNNING: 1, PAUSED: 3, SHUTDOWN: 4, CRASHED: 6, SUSPENDED: 7 } as const;

/** The flavor as the instance was built with (nova's instance.flavor). */
export interface FlavorSnapshot {
  readonly id: string;
  readonly name: string;
  readonly memoryMb: number;
  readonly vcpus: number;
  readonly rootGb: number;
  readonly ephemeralGb: number;
  readonly swap: number;
  readonly rxtxFactor: number;
  readonly isPublic: boolean;
  readonly description: string | null;
  readonly extraSpecs: Readonly<Record<string, string>>;
}

/** One entry of `networks` in POST /servers. */
export interface RequestedNetwork {
  readonly networkId?: string;
  readonly portId?: string;
  readonly fixedIp?: string;
  readonly tag?: string;
}

/** One entry of block_device_mapping_v2. */
export interface BlockDeviceRequest {
  readonly bootIndex: number | null;
  readonly sourceType: 'image' | 'volume' | 'blank' | 'snapshot';
  readonly destinationType: 'volume' | 'local';
  readonly uuid?: string;
  readonly volumeSize?: number;
  readonly deleteOnTermination: boolean;
  readonly volumeType?: string;
  readonly tag?: string;
  readonly deviceName?: string;
}

/** A port the build got from neutron (what `addresses` is made from). */
export interface NetworkInfo {
  readonly portId: string;
  readonly networkId: string;
  readonly networkName: string;
  readonly macAddress: string;
  readonly ips: ReadonlyArray<{ readonly address: string; readonly version: 4 | 6; readonly type: 'fixed' | 'floating' }>;
  /** True when nova created the port (and deletes it with the server). */
  readonly created: boolean;
  readonly tag?: string;
}

/** Why a server is in ERROR (nova's instance_faults). */
export interface InstanceFault {
  readonly code: number;
  readonly message: string;
  readonly details: string;
  readonly created: string;
}

/** A server. */
export interface Instance {
  readonly id: string;
  readonly projectId: string;
  readonly userId: string;
  readonly name: string;
  readonly description: string | null;
  readonly hostname: string;
  readonly host: string | null;
  readonly node: string | null;
  readonly availabilityZone: string | null;
  readonly flavor: FlavorSnapshot;
  readonly newFlavor: FlavorSnapshot | null;
  readonly oldFlavor: FlavorSnapshot | null;
  readonly imageRef: string;
  readonly vmState: VmState;
  readonly taskState: string | null;
  readonly powerState: number;
  readonly keyName: string | null;
  readonly keyData: string | null;
  readonly userData: string | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly tags: readonly string[];
  readonly configDrive: string;
  readonly accessIpV4: string;
  readonly accessIpV6: string;
  readonly reservationId: string;
  readonly launchIndex: number;
  readonly locked: boolean;
  readonly lockedBy: string | null;
  readonly lockedReason: string | null;
  readonly requestedNetworks: readonly RequestedNetwork[] | 'auto' | 'none';
  readonly blockDevices: readonly BlockDeviceRequest[];
  readonly securityGroups: readonly string[];
  readonly schedulerHints: Readonly<Record<string, unknown>>;
  readonly networkInfo: readonly NetworkInfo[];
  readonly fault: InstanceFault | null;
  readonly serverGroupId: string | null;
  readonly rootDeviceName: string | null;
  readonly progress: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly launchedAt: string | null;
  readonly terminatedAt: string | null;
  readonly deleted: boolean;
  readonly deletedAt: string | null;
  /** OS-DCF:diskConfig, AUTO or MANUAL. */
  readonly diskConfig: string;
  readonly systemMetadata: Readonly<Record<string, string>>;
}

/** Fields an update may change. */
export type InstanceUpdate = Partial<Omit<Instance, 'id' | 'projectId' | 'userId' | 'createdAt' | 'reservationId' | 'launchIndex'>>;

type Db = Kysely<ComputeDatabase>;

/** Turn a row into an Instance; the only place that reads instance rows. */
export function instanceFromRow(r: InstanceTable): Instance {
  return {
    id: r.id,
    projectId: r.project_id,
    userId: r.user_id,
    name: r.name,
    description: r.description,
    hostname: r.hostname,
    host: r.host,
    node: r.node,
    availabilityZone: r.availability_zone,
    flavor: parseJsonColumn<FlavorSnapshot>(r.flavor, {} as FlavorSnapshot),
    newFlavor: parseJsonColumn<FlavorSnapshot | null>(r.new_flavor, null),
    oldFlavor: parseJsonColumn<FlavorSnapshot | null>(r.old_flavor, null),
    imageRef: r.image_ref,
    vmState: r.vm_state as VmState,
    taskState: r.task_state,
    powerState: Number(r.power_state),
    keyName: r.key_name,
    keyData: r.key_data,
    userData: r.user_data,
    metadata: parseJsonColumn(r.metadata, {}),
    tags: parseJsonColumn(r.tags, []),
    configDrive: r.config_drive,
    accessIpV4: r.access_ip_v4,
    accessIpV6: r.access_ip_v6,
    reservationId: r.reservation_id,
    launchIndex: Number(r.launch_index),
    locked: toBool(r.locked),
    lockedBy: r.locked_by,
    lockedReason: r.locked_reason,
    requestedNetworks: parseJsonColumn(r.requested_networks, []),
    blockDevices: parseJsonColumn(r.block_devices, []),
    securityGroups: parseJsonColumn(r.security_groups, []),
    schedulerHints: parseJsonColumn(r.scheduler_hints, {}),
    networkInfo: parseJsonColumn(r.network_info, []),
    fault: parseJsonColumn<InstanceFault | null>(r.fault, null),
    serverGroupId: r.server_group_id,
    rootDeviceName: r.root_device_name,
    progress: Number(r.progress),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    launchedAt: r.launched_at,
    terminatedAt: r.terminated_at,
    deleted: toBool(r.deleted),
    deletedAt: r.deleted_at,
    diskConfig: r.disk_config ?? 'MANUAL',
    systemMetadata: parseJsonColumn(r.system_metadata, {}),
  };
}

const JSON_FIELDS: Readonly<Record<string, keyof InstanceTable>> = {
  flavor: 'flavor',
  newFlavor: 'new_flavor',
  oldFlavor: 'old_flavor',
  metadata: 'metadata',
  tags: 'tags',
  requestedNetworks: 'requested_networks',
  blockDevices: 'block_devices',
  securityGroups: 'security_groups',
  schedulerHints: 'scheduler_hints',
  networkInfo: 'network_info',
  fault: 'fault',
  systemMetadata: 'system_metadata',
};

const snake = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`).replace(/_v_(\d)/, '_v$1');

/** The row columns of an update (JSON fields serialized; null JSON stays SQL NULL). */
export function instanceUpdateToRow(u: InstanceUpdate): Partial<InstanceTable> {
  const row: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(u)) {
    if (v === undefined) continue;
    const jsonCol = JSON_FIELDS[k];
    if (jsonCol !== undefined) {
      row[jsonCol] = v === null && (k === 'fault' || k === 'newFlavor' || k === 'oldFlavor') ? null : jsonColumn(v);
      if (k === 'flavor') row.flavor_id = (v as FlavorSnapshot).id;
    } else if (k === 'accessIpV4') row.access_ip_v4 = v;
    else if (k === 'accessIpV6') row.access_ip_v6 = v;
    else row[snake(k)] = v;
  }
  return row as Partial<InstanceTable>;
}

/** A writable InstanceUpdate, for building changes step by step. */
export type MutableInstanceUpdate = { -readonly [K in keyof InstanceUpdate]: InstanceUpdate[K] };

/** A new instance as the API builds it. */
export type NewInstance = Omit<Instance, 'createdAt' | 'updatedAt' | 'deleted' | 'deletedAt' | 'terminatedAt' | 'launchedAt'>;

/** Filters of `list` that the database applies; the rest (regex names, IPs) the API applies. */
export interface InstanceQuery {
  readonly projectId?: string;
  readonly includeDeleted?: boolean;
  readonly onlyDeleted?: boolean;
  readonly changesSince?: string;
  readonly changesBefore?: string;
  readonly host?: string;
  readonly vmStates?: readonly string[];
  readonly ids?: readonly string[];
  /** Keyset paging in the default order (created_at desc, id desc): rows after this one. */
  readonly after?: { readonly createdAt: string; readonly id: string };
  readonly limit?: number;
}

/** Reads and writes instances; `save` is a compare-and-swap on task/vm state like nova's Instance.save. */
export class InstanceStore {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  /** Insert instances in one transaction. */
  async create(instances: readonly NewInstance[], trx: Db = this.#db): Promise<Instance[]> {
    const now = nowIso();
    const rows: InstanceTable[] = instances.map((i) => ({
      ...(instanceUpdateToRow(i) as InstanceTable),
      id: i.id,
      project_id: i.projectId,
      user_id: i.userId,
      reservation_id: i.reservationId,
      launch_index: i.launchIndex,
      created_at: now,
      updated_at: now,
      launched_at: null,
      terminated_at: null,
      deleted: false,
      deleted_at: null,
    }));
    if (rows.length > 0) await trx.insertInto('instances').values(rows).execute();
    return rows.map(instanceFromRow);
  }

  async find(id: string, opts: { includeDeleted?: boolean } = {}): Promise<Instance | undefined> {
    let q = this.#db.selectFrom('instances').selectAll().where('id', '=', id);
    if (opts.includeDeleted !== true) q = q.where('deleted', '=', false);
    const r = await q.executeTakeFirst();
    return r === undefined ? undefined : instanceFromRow(r);
  }

  /** The instance; 404 InstanceNotFound when missing (or deleted). */
  async get(id: string, opts: { includeDeleted?: boolean } = {}): Promise<Instance> {
    const i = await this.find(id, opts);
    if (i === undefined) throw new NotFound(`Instance ${id} could not be found.`, { instanceId: id }, 'InstanceNotFound');
    return i;
  }

  async list(q: InstanceQuery): Promise<Instance[]> {
    let s = this.#db.selectFrom('instances').selectAll();
    if (q.projectId !== undefined) s = s.where('project_id', '=', q.projectId);
    if (q.onlyDeleted === true) s = s.where('deleted', '=', true);
    else if (q.includeDeleted !== true && q.changesSince === undefined) s = s.where('deleted', '=', false);
    if (q.changesSince !== undefined) s = s.where('updated_at', '>=', q.changesSince);
    if (q.changesBefore !== undefined) s = s.where('updated_at', '<=', q.changesBefore);
    if (q.host !== undefined) s = s.where('host', '=', q.host);
    if (q.vmStates !== undefined) s = s.where('vm_state', 'in', [...q.vmStates, '__none__']);
    if (q.ids !== undefined) s = s.where('id', 'in', [...q.ids, '__none__']);
    const after = q.after;
    if (after !== undefined) s = s.where((eb) => eb.or([eb('created_at', '<', after.createdAt), eb.and([eb('created_at', '=', after.createdAt), eb('id', '<', after.id)])]));
    if (q.limit !== undefined) s = s.limit(q.limit);
    const rows = await s.orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
    return rows.map(instanceFromRow);
  }

  /**
   * Apply `changes`; when `expectedTaskState` (or `expectedVmState`) is given the row must still
   * hold one of those values, else 409 UnexpectedTaskState and nothing changes.
   */
  async save(id: string, changes: InstanceUpdate, opts: { expectedTaskState?: ReadonlyArray<string | null>; expectedVmState?: readonly string[] } = {}): Promise<Instance> {
    let q = this.#db.updateTable('instances').set({ ...instanceUpdateToRow(changes), updated_at: nowIso() }).where('id', '=', id);
    const ets = opts.expectedTaskState;
    if (ets !== undefined) {
      const values = ets.filter((v): v is string => v !== null);
      const withNull = ets.includes(null);
      q = q.where((eb) => {
        const ors = [];
        if (values.length > 0) ors.push(eb('task_state', 'in', values));
        if (withNull) ors.push(eb('task_state', 'is', null));
        return eb.or(ors);
      });
    }
    if (opts.expectedVmState !== undefined) q = q.where('vm_state', 'in', [...opts.expectedVmState]);
    const res = await q.executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) {
      const current = await this.get(id, { includeDeleted: true });
      throw new Conflict(`Cannot update instance ${id}: task_state is ${current.taskState}, vm_state is ${current.vmState}.`, { instanceId: id }, 'UnexpectedTaskState');
    }
    return this.get(id, { includeDeleted: true });
  }

  /** Mark deleted (soft delete, as nova keeps rows for changes-since). */
  async markDeleted(id: string): Promise<void> {
    const now = nowIso();
    await this.#db.updateTable('instances').set({ deleted: true, deleted_at: now, terminated_at: now, updated_at: now, vm_state: 'deleted', task_state: null, power_state: PowerState.NOSTATE }).where('id', '=', id).execute();
  }
}

/** A new server id. */
export function newInstanceId(): string {
  return randomUUID();
}
