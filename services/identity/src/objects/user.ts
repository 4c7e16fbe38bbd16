/** Users and their passwords (bcrypt), and group memberships. */
import bcrypt from 'bcrypt';
import { NotFound } from '@strata/errors';
import { jsonColumn, nowIso, toBool } from '@strata/db';
import type { GroupTable, UserTable } from '../db/schema.js';
import { newId, readExtra, withDuplicateCheck, type Extra, type IdentityDb } from './common.js';

/** A user as the service sees it (never with the password). */
export interface User {
  readonly id: string;
  readonly name: string;
  readonly domainId: string;
  readonly enabled: boolean;
  readonly defaultProjectId: string | null;
  readonly passwordExpiresAt: string | null;
  readonly hasPassword: boolean;
  readonly extra: Extra;
}

/** Fields a create or update may set. */
export interface UserInput {
  readonly name?: string;
  readonly enabled?: boolean;
  readonly defaultProjectId?: string | null;
  readonly password?: string | null;
  readonly extra?: Extra;
}

/** A group. */
export interface Group {
  readonly id: string;
  readonly name: string;
  readonly domainId: string;
  readonly description: string;
  readonly extra: Extra;
}

function userFromRow(r: UserTable): User {
  return {
    id: r.id,
    name: r.name,
    domainId: r.domain_id,
    enabled: toBool(r.enabled),
    defaultProjectId: r.default_project_id,
    passwordExpiresAt: r.password_expires_at,
    hasPassword: r.password_hash !== null,
    extra: readExtra(r.extra),
  };
}

function groupFromRow(r: GroupTable): Group {
  return { id: r.id, name: r.name, domainId: r.domain_id, description: r.description, extra: readExtra(r.extra) };
}

/** Read and write users, groups and memberships. */
export class UserStore {
  readonly #db: IdentityDb;
  readonly #rounds: number;
  /** @param rounds bcrypt cost factor for new password hashes. */
  constructor(db: IdentityDb, rounds: number) {
    this.#db = db;
    this.#rounds = rounds;
  }

  /** Create; 409 on a duplicate name in the domain. */
  async create(input: UserInput & { name: string; domainId: string; id?: string }): Promise<User> {
    const row: UserTable = {
      id: input.id ?? newId(),
      name: input.name,
      domain_id: input.domainId,
      enabled: input.enabled ?? true,
      password_hash: input.password == null ? null : await bcrypt.hash(input.password, this.#rounds),
      password_expires_at: null,
      default_project_id: input.defaultProjectId ?? null,
      extra: jsonColumn(input.extra ?? {}),
      created_at: nowIso(),
    };
    await withDuplicateCheck('user', input.name, () => this.#db.insertInto('users').values(row).execute());
    return userFromRow(row);
  }

  async find(id: string): Promise<User | undefined> {
    const r = await this.#db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return r === undefined ? undefined : userFromRow(r);
  }

  /** The user; 404 when missing. */
  async get(id: string): Promise<User> {
    const u = await this.find(id);
    if (u === undefined) throw new NotFound(`Could not find user: ${id}.`, { id }, 'UserNotFound');
    return u;
  }

  async findByName(name: string, domainId: string): Promise<User | undefined> {
    const r = await this.#db.selectFrom('users').selectAll().where('name', '=', name).where('domain_id', '=', domainId).executeTakeFirst();
    return r === undefined ? undefined : userFromRow(r);
  }

  /** List with keystone's filters. */
  async list(filter: { name?: string; domainId?: string; enabled?: boolean; ids?: readonly string[] } = {}): Promise<User[]> {
    let q = this.#db.selectFrom('users').selectAll().orderBy('name');
    if (filter.name !== undefined) q = q.where('name', '=', filter.name);
    if (filter.domainId !== undefined) q = q.where('domain_id', '=', filter.domainId);
    if (filter.enabled !== undefined) q = q.where('enabled', '=', filter.enabled);
    if (filter.ids !== undefined) {
      if (filter.ids.length === 0) return [];
      q = q.where('id', 'in', filter.ids);
    }
    return (await q.execute()).map(userFromRow);
  }

  /** True when `password` matches the user's hash (constant-time compare inside bcrypt). */
  async checkPassword(id: string, password: string): Promise<boolean> {
    const r = await this.#db.selectFrom('users').select('password_hash').where('id', '=', id).executeTakeFirst();
    if (r?.password_hash == null) return false;
    return bcrypt.compare(password, r.password_hash);
  }

  /** Update given fields (a new password is hashed). */
  async update(id: string, input: UserInput): Promise<User> {
    const current = await this.get(id);
    const set: Partial<UserTable> = {};
    if (input.name !== undefined) set.name = input.name;
    if (input.enabled !== undefined) set.enabled = input.enabled;
    if (input.defaultProjectId !== undefined) set.default_project_id = input.defaultProjectId;
    if (input.password !== undefined) set.password_hash = input.password === null ? null : await bcrypt.hash(input.password, this.#rounds);
    if (input.extra !== undefined) set.extra = jsonColumn({ ...current.extra, ...input.extra });
    if (Object.keys(set).length > 0) {
      await withDuplicateCheck('user', input.name ?? current.name, () => this.#db.updateTable('users').set(set).where('id', '=', id).execute());
    }
    return this.get(id);
  }

  /** Delete the user and its memberships. */
  async delete(id: string): Promise<void> {
    await this.#db.deleteFrom('group_members').where('user_id', '=', id).execute();
    await this.#db.deleteFrom('users').where('id', '=', id).execute();
  }

  // ---- groups -------------------------------------------------------------------

  async createGroup(input: { name: string; domainId: string; description?: string; extra?: Extra }): Promise<Group> {
    const row: GroupTable = { id: newId(), name: input.name, domain_id: input.domainId, description: input.description ?? '', extra: jsonColumn(input.extra ?? {}) };
    await withDuplicateCheck('group', input.name, () => this.#db.insertInto('groups').values(row).execute());
    return groupFromRow(row);
  }

  /** The group; 404 when missing. */
  async getGroup(id: string): Promise<Group> {
    const r = await this.#db.selectFrom('groups').selectAll().where('id', '=', id).executeTakeFirst();
    if (r === undefined) throw new NotFound(`Could not find group: ${id}.`, { id }, 'GroupNotFound');
    return groupFromRow(r);
  }

  async listGroups(filter: { name?: string; domainId?: string; ids?: readonly string[] } = {}): Promise<Group[]> {
    let q = this.#db.selectFrom('groups').selectAll().orderBy('name');
    if (filter.name !== undefined) q = q.where('name', '=', filter.name);
    if (filter.domainId !== undefined) q = q.where('domain_id', '=', filter.domainId);
    if (filter.ids !== undefined) {
      if (filter.ids.length === 0) return [];
      q = q.where('id', 'in', filter.ids);
    }
    return (await q.execute()).map(groupFromRow);
  }

  async updateGroup(id: string, input: { name?: string; description?: string; extra?: Extra }): Promise<Group> {
    const current = await this.getGroup(id);
    const set: Partial<GroupTable> = {};
    if (input.name !== undefined) set.name = input.name;
    if (input.description !== undefined) set.description = input.description;
    if (input.extra !== undefined) set.extra = jsonColumn({ ...current.extra, ...input.extra });
    if (Object.keys(set).length > 0) {
      await withDuplicateCheck('group', input.name ?? current.name, () => this.#db.updateTable('groups').set(set).where('id', '=', id).execute());
    }
    return this.getGroup(id);
  }

  async deleteGroup(id: string): Promise<void> {
    await this.#db.deleteFrom('group_members').where('group_id', '=', id).execute();
    await this.#db.deleteFrom('groups').where('id', '=', id).execute();
  }

  /** Add a user to a group (idempotent). */
  async addMember(groupId: string, userId: string): Promise<void> {
    const exists = await this.isMember(groupId, userId);
    if (!exists) await this.#db.insertInto('group_members').values({ group_id: groupId, user_id: userId }).execute();
  }

  async removeMember(groupId: string, userId: string): Promise<boolean> {
    const r = await this.#db.deleteFrom('group_members').where('group_id', '=', groupId).where('user_id', '=', userId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async isMember(groupId: string, userId: string): Promise<boolean> {
    const r = await this.#db.selectFrom('group_members').select('user_id').where('group_id', '=', groupId).where('user_id', '=', userId).executeTakeFirst();
    return r !== undefined;
  }

  /** Group ids the user belongs to. */
  async groupIdsOf(userId: string): Promise<string[]> {
    const rows = await this.#db.selectFrom('group_members').select('group_id').where('user_id', '=', userId).execute();
    return rows.map((r) => r.group_id);
  }

  /** User ids in a group. */
  async memberIds(groupId: string): Promise<string[]> {
    const rows = await this.#db.selectFrom('group_members').select('user_id').where('group_id', '=', groupId).execute();
    return rows.map((r) => r.user_id);
  }
}
