/** Server groups (affinity, anti-affinity and their soft variants) and their members. Version history: 1.0 - initial. */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { NotFound } from '@strata/errors';
import { jsonColumn, nowIso, parseJsonColumn } from '@strata/db';
import type { ComputeDatabase, ServerGroupTable } from '../db/schema.js';

/** A server group policy. */
export type ServerGroupPolicy = 'affinity' | 'anti-affinity' | 'soft-affinity' | 'soft-anti-affinity';

/** A server group. */
export interface ServerGroup {
  readonly id: string;
  readonly name: string;
  readonly policy: ServerGroupPolicy;
  readonly rules: Readonly<Record<string, number>>;
  readonly projectId: string;
  readonly userId: string;
  readonly createdAt: string;
  readonly members: readonly string[];
}

/** Reads and writes server groups. */
export class ServerGroupStore {
  readonly #db: Kysely<ComputeDatabase>;
  constructor(db: Kysely<ComputeDatabase>) {
    this.#db = db;
  }

  async create(g: { name: string; policy: ServerGroupPolicy; rules: Record<string, number>; projectId: string; userId: string }): Promise<ServerGroup> {
    const row: ServerGroupTable = { id: randomUUID(), name: g.name, policy: g.policy, rules: jsonColumn(g.rules), project_id: g.projectId, user_id: g.userId, created_at: nowIso() };
    await this.#db.insertInto('server_groups').values(row).execute();
    return this.#fromRow(row, []);
  }

  #fromRow(r: ServerGroupTable, members: string[]): ServerGroup {
    return { id: r.id, name: r.name, policy: r.policy as ServerGroupPolicy, rules: parseJsonColumn(r.rules, {}), projectId: r.project_id, userId: r.user_id, createdAt: r.created_at, members };
  }

  /** 404 InstanceGroupNotFound. */
  async get(id: string): Promise<ServerGroup> {
    const r = await this.#db.selectFrom('server_groups').selectAll().where('id', '=', id).executeTakeFirst();
    if (r === undefined) throw new NotFound(`Instance group ${id} could not be found.`, { groupId: id }, 'InstanceGroupNotFound');
    return this.#fromRow(r, await this.members(id));
  }

  async list(projectId: string | undefined): Promise<ServerGroup[]> {
    let q = this.#db.selectFrom('server_groups').selectAll();
    if (projectId !== undefined) q = q.where('project_id', '=', projectId);
    const rows = await q.orderBy('created_at').execute();
    const out: ServerGroup[] = [];
    for (const r of rows) out.push(this.#fromRow(r, await this.members(r.id)));
    return out;
  }

  async count(projectId: string): Promise<number> {
    const r = await this.#db.selectFrom('server_groups').select((eb) => eb.fn.countAll<number>().as('n')).where('project_id', '=', projectId).executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  async delete(id: string): Promise<void> {
    await this.get(id);
    await this.#db.deleteFrom('server_group_members').where('group_id', '=', id).execute();
    await this.#db.deleteFrom('server_groups').where('id', '=', id).execute();
  }

  async members(groupId: string): Promise<string[]> {
    const rows = await this.#db.selectFrom('server_group_members').select('instance_id').where('group_id', '=', groupId).execute();
    return rows.map((r) => r.instance_id);
  }

  async addMembers(groupId: string, instanceIds: readonly string[]): Promise<void> {
    if (instanceIds.length === 0) return;
    await this.#db.insertInto('server_group_members').values(instanceIds.map((i) => ({ group_id: groupId, instance_id: i }))).execute();
  }

  async removeMember(instanceId: string): Promise<void> {
    await this.#db.deleteFrom('server_group_members').where('instance_id', '=', instanceId).execute();
  }

  /** The group an instance belongs to, if any. */
  async groupOf(instanceId: string): Promise<ServerGroup | undefined> {
    const r = await this.#db.selectFrom('server_group_members').select('group_id').where('instance_id', '=', instanceId).executeTakeFirst();
    return r === undefined ? undefined : this.get(r.group_id);
  }
}
