/**
 * Generic volume groups: group types (with group specs), groups of volumes and group snapshots.
 *
 * Version history:
 * - 1.0 - Initial version.
 */
import { randomUUID } from 'node:crypto';
import type { Updateable } from 'kysely';
import { Conflict, NotFound } from '@strata/errors';
import { isUniqueViolation, nowIso, toBool } from '@strata/db';
import type { GroupSnapshotTable, GroupTable, GroupTypeTable } from '../db/schema.js';
import type { BlockStorageDb } from './common.js';

/** A group type. */
export interface GroupType {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly isPublic: boolean;
  readonly groupSpecs: Readonly<Record<string, string>>;
}

/** A group of volumes. */
export interface Group {
  readonly id: string;
  readonly projectId: string;
  readonly userId: string;
  readonly name: string | null;
  readonly description: string | null;
  readonly status: string;
  readonly availabilityZone: string;
  readonly groupTypeId: string;
  readonly groupSnapshotId: string | null;
  readonly sourceGroupId: string | null;
  readonly volumeTypeIds: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string | null;
}

/** A snapshot of every volume of a group at once. */
export interface GroupSnapshot {
  readonly id: string;
  readonly groupId: string;
  readonly projectId: string;
  readonly userId: string;
  readonly name: string | null;
  readonly description: string | null;
  readonly status: string;
  readonly groupTypeId: string;
  readonly createdAt: string;
  readonly updatedAt: string | null;
}

/** 404 GroupTypeNotFound. */
export class GroupTypeNotFound extends NotFound {
  constructor(id: string) {
    super(`Group type ${id} could not be found.`, { groupTypeId: id }, 'GroupTypeNotFound');
  }
}

/** 404 GroupNotFound. */
export class GroupNotFound extends NotFound {
  constructor(id: string) {
    super(`Group ${id} could not be found.`, { groupId: id }, 'GroupNotFound');
  }
}

/** 404 GroupSnapshotNotFound. */
export class GroupSnapshotNotFound extends NotFound {
  constructor(id: string) {
    super(`GroupSnapshot ${id} could not be found.`, { groupSnapshotId: id }, 'GroupSnapshotNotFound');
  }
}

function groupSnapshotFromRow(r: GroupSnapshotTable): GroupSnapshot {
  return { id: r.id, groupId: r.group_id, projectId: r.project_id, userId: r.user_id, name: r.name, description: r.description, status: r.status, groupTypeId: r.group_type_id, createdAt: r.created_at, updatedAt: r.updated_at };
}

/** Read and write group types, groups and group snapshots. */
export class GroupStore {
  readonly #db: BlockStorageDb;
  constructor(db: BlockStorageDb) {
    this.#db = db;
  }

  // ---- group types ---------------------------------------------------------------------
  async #typeFromRow(r: GroupTypeTable): Promise<GroupType> {
    const specs = await this.#db.selectFrom('group_type_specs').selectAll().where('group_type_id', '=', r.id).execute();
    return { id: r.id, name: r.name, description: r.description, isPublic: toBool(r.is_public), groupSpecs: Object.fromEntries(specs.map((s) => [s.key, s.value])) };
  }

  async createType(t: { name: string; description: string | null; isPublic: boolean; groupSpecs: Readonly<Record<string, string>> }): Promise<GroupType> {
    const row: GroupTypeTable = { id: randomUUID(), name: t.name, description: t.description, is_public: t.isPublic, created_at: nowIso() };
    try {
      await this.#db.insertInto('group_types').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`Group Type ${t.name} already exists.`, { name: t.name }, 'GroupTypeExists');
      throw err;
    }
    await this.setTypeSpecs(row.id, t.groupSpecs);
    return this.#typeFromRow(row);
  }

  async findType(idOrName: string): Promise<GroupType | undefined> {
    const r = (await this.#db.selectFrom('group_types').selectAll().where('id', '=', idOrName).executeTakeFirst()) ?? (await this.#db.selectFrom('group_types').selectAll().where('name', '=', idOrName).executeTakeFirst());
    return r === undefined ? undefined : this.#typeFromRow(r);
  }

  async getType(idOrName: string): Promise<GroupType> {
    const t = await this.findType(idOrName);
    if (t === undefined) throw new GroupTypeNotFound(idOrName);
    return t;
  }

  async listTypes(isPublic?: boolean): Promise<GroupType[]> {
    let q = this.#db.selectFrom('group_types').selectAll().orderBy('created_at');
    if (isPublic !== undefined) q = q.where('is_public', '=', isPublic);
    return Promise.all((await q.execute()).map((r) => this.#typeFromRow(r)));
  }

  async updateType(id: string, set: { name?: string; description?: string | null; isPublic?: boolean }): Promise<GroupType> {
    const values: Updateable<GroupTypeTable> = {};
    if (set.name !== undefined) values.name = set.name;
    if (set.description !== undefined) values.description = set.description;
    if (set.isPublic !== undefined) values.is_public = set.isPublic;
    if (Object.keys(values).length > 0) {
      try {
        await this.#db.updateTable('group_types').set(values).where('id', '=', id).execute();
      } catch (err) {
        if (isUniqueViolation(err)) throw new Conflict(`Group Type ${set.name ?? ''} already exists.`, {}, 'GroupTypeExists');
        throw err;
      }
    }
    return this.getType(id);
  }

  async removeType(id: string): Promise<void> {
    await this.#db.deleteFrom('group_type_specs').where('group_type_id', '=', id).execute();
    await this.#db.deleteFrom('group_types').where('id', '=', id).execute();
  }

  async setTypeSpecs(id: string, specs: Readonly<Record<string, string>>): Promise<void> {
    const keys = Object.keys(specs);
    if (keys.length === 0) return;
    await this.#db.deleteFrom('group_type_specs').where('group_type_id', '=', id).where('key', 'in', keys).execute();
    await this.#db.insertInto('group_type_specs').values(keys.map((key) => ({ group_type_id: id, key, value: specs[key] ?? '' }))).execute();
  }

  async deleteTypeSpec(id: string, key: string): Promise<boolean> {
    const r = await this.#db.deleteFrom('group_type_specs').where('group_type_id', '=', id).where('key', '=', key).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async typeInUse(id: string): Promise<boolean> {
    const r = await this.#db.selectFrom('groups').select('id').where('group_type_id', '=', id).executeTakeFirst();
    return r !== undefined;
  }

  // ---- groups --------------------------------------------------------------------------
  async #groupsFromRows(rows: readonly GroupTable[]): Promise<Group[]> {
    if (rows.length === 0) return [];
    const links = await this.#db.selectFrom('group_volume_types').selectAll().where('group_id', 'in', rows.map((r) => r.id)).execute();
    return rows.map((r) => ({
      id: r.id,
      projectId: r.project_id,
      userId: r.user_id,
      name: r.name,
      description: r.description,
      status: r.status,
      availabilityZone: r.availability_zone,
      groupTypeId: r.group_type_id,
      groupSnapshotId: r.group_snapshot_id,
      sourceGroupId: r.source_group_id,
      volumeTypeIds: links.filter((l) => l.group_id === r.id).map((l) => l.volume_type_id),
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    }));
  }

  async createGroup(g: { projectId: string; userId: string; name: string | null; description: string | null; status: string; availabilityZone: string; groupTypeId: string; volumeTypeIds: readonly string[]; groupSnapshotId?: string | null; sourceGroupId?: string | null }): Promise<Group> {
    const row: GroupTable = {
      id: randomUUID(),
      project_id: g.projectId,
      user_id: g.userId,
      name: g.name,
      description: g.description,
      status: g.status,
      availability_zone: g.availabilityZone,
      group_type_id: g.groupTypeId,
      group_snapshot_id: g.groupSnapshotId ?? null,
      source_group_id: g.sourceGroupId ?? null,
      created_at: nowIso(),
      updated_at: null,
    };
    await this.#db.insertInto('groups').values(row).execute();
    if (g.volumeTypeIds.length > 0) await this.#db.insertInto('group_volume_types').values([...new Set(g.volumeTypeIds)].map((volume_type_id) => ({ group_id: row.id, volume_type_id }))).execute();
    return (await this.#groupsFromRows([row]))[0] as Group;
  }

  async findGroup(id: string): Promise<Group | undefined> {
    const r = await this.#db.selectFrom('groups').selectAll().where('id', '=', id).executeTakeFirst();
    return r === undefined ? undefined : (await this.#groupsFromRows([r]))[0];
  }

  async listGroups(projectId?: string): Promise<Group[]> {
    let q = this.#db.selectFrom('groups').selectAll().orderBy('created_at', 'desc');
    if (projectId !== undefined) q = q.where('project_id', '=', projectId);
    return this.#groupsFromRows(await q.execute());
  }

  async updateGroup(id: string, set: Updateable<GroupTable>, expectStatus?: readonly string[]): Promise<boolean> {
    let q = this.#db.updateTable('groups').set({ ...set, updated_at: nowIso() }).where('id', '=', id);
    if (expectStatus !== undefined) q = q.where('status', 'in', expectStatus);
    return Number((await q.executeTakeFirst()).numUpdatedRows) > 0;
  }

  async removeGroup(id: string): Promise<void> {
    await this.#db.deleteFrom('group_volume_types').where('group_id', '=', id).execute();
    await this.#db.deleteFrom('groups').where('id', '=', id).execute();
  }

  // ---- group snapshots -----------------------------------------------------------------
  async createGroupSnapshot(s: { groupId: string; projectId: string; userId: string; name: string | null; description: string | null; groupTypeId: string }): Promise<GroupSnapshot> {
    const row: GroupSnapshotTable = { id: randomUUID(), group_id: s.groupId, project_id: s.projectId, user_id: s.userId, name: s.name, description: s.description, status: 'preparing', group_type_id: s.groupTypeId, created_at: nowIso(), updated_at: null };
    await this.#db.insertInto('group_snapshots').values(row).execute();
    return groupSnapshotFromRow(row);
  }

  async findGroupSnapshot(id: string): Promise<GroupSnapshot | undefined> {
    const r = await this.#db.selectFrom('group_snapshots').selectAll().where('id', '=', id).executeTakeFirst();
    return r === undefined ? undefined : groupSnapshotFromRow(r);
  }

  async listGroupSnapshots(filter: { projectId?: string; groupId?: string } = {}): Promise<GroupSnapshot[]> {
    let q = this.#db.selectFrom('group_snapshots').selectAll().orderBy('created_at', 'desc');
    if (filter.projectId !== undefined) q = q.where('project_id', '=', filter.projectId);
    if (filter.groupId !== undefined) q = q.where('group_id', '=', filter.groupId);
    return (await q.execute()).map(groupSnapshotFromRow);
  }

  /** A group snapshot is `preparing` (shown as creating) until every member row exists, then `creating`. */
  /** Set the status of a creating group snapshot once its members are done: error if one failed, available when all are. */
  async settleGroupSnapshot(id: string): Promise<void> {
    const members = await this.#db.selectFrom('snapshots').select('status').where('group_snapshot_id', '=', id).execute();
    let status: string | undefined;
    if (members.some((m) => m.status === 'error')) status = 'error';
    else if (members.length > 0 && members.every((m) => m.status === 'available')) status = 'available';
    if (status !== undefined) await this.#db.updateTable('group_snapshots').set({ status, updated_at: nowIso() }).where('id', '=', id).where('status', '=', 'creating').execute();
  }

  async updateGroupSnapshot(id: string, set: Updateable<GroupSnapshotTable>): Promise<void> {
    await this.#db.updateTable('group_snapshots').set({ ...set, updated_at: nowIso() }).where('id', '=', id).execute();
  }

  async removeGroupSnapshot(id: string): Promise<void> {
    await this.#db.deleteFrom('group_snapshots').where('id', '=', id).execute();
  }
}
