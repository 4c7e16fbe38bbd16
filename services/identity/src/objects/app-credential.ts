/** Application credentials: a user's delegated secret for one project, with a subset of the user's roles. */
import bcrypt from 'bcrypt';
import { NotFound } from '@strata/errors';
import { jsonColumn, nowIso, parseJsonColumn, toBool } from '@strata/db';
import type { AppCredentialTable } from '../db/schema.js';
import { newId, withDuplicateCheck, type IdentityDb } from './common.js';

/** A role as an application credential keeps it. */
export interface RoleRef {
  readonly id: string;
  readonly name: string;
  readonly domain_id?: string | null;
}

export interface AppCredential {
  readonly id: string;
  readonly name: string;
  readonly userId: string;
  readonly projectId: string;
  readonly description: string;
  readonly expiresAt: string | null;
  readonly unrestricted: boolean;
  readonly roles: readonly RoleRef[];
  readonly accessRules: readonly Record<string, unknown>[];
}

const fromRow = (r: AppCredentialTable): AppCredential => ({
  id: r.id,
  name: r.name,
  userId: r.user_id,
  projectId: r.project_id,
  description: r.description,
  expiresAt: r.expires_at,
  unrestricted: toBool(r.unrestricted),
  roles: parseJsonColumn<RoleRef[]>(r.roles, []),
  accessRules: parseJsonColumn<Record<string, unknown>[]>(r.access_rules, []),
});

/** Read and write application credentials. */
export class AppCredentialStore {
  readonly #db: IdentityDb;
  readonly #rounds: number;
  constructor(db: IdentityDb, rounds: number) {
    this.#db = db;
    this.#rounds = rounds;
  }

  async create(input: Omit<AppCredential, 'id'> & { secret: string }): Promise<AppCredential> {
    const row: AppCredentialTable = {
      id: newId(),
      name: input.name,
      user_id: input.userId,
      project_id: input.projectId,
      secret_hash: await bcrypt.hash(input.secret, this.#rounds),
      description: input.description,
      expires_at: input.expiresAt,
      unrestricted: input.unrestricted,
      roles: jsonColumn(input.roles),
      access_rules: jsonColumn(input.accessRules.map((r) => ({ id: newId(), ...r }))),
      created_at: nowIso(),
    };
    await withDuplicateCheck('application_credential', input.name, () => this.#db.insertInto('app_credentials').values(row).execute());
    return fromRow(row);
  }

  async find(id: string): Promise<AppCredential | undefined> {
    const r = await this.#db.selectFrom('app_credentials').selectAll().where('id', '=', id).executeTakeFirst();
    return r === undefined ? undefined : fromRow(r);
  }

  /** For a user; 404 when missing or another user's. */
  async get(userId: string, id: string): Promise<AppCredential> {
    const a = await this.find(id);
    if (a === undefined || a.userId !== userId) throw new NotFound(`Could not find Application Credential: ${id}.`, { id }, 'ApplicationCredentialNotFound');
    return a;
  }

  async findByName(userId: string, name: string): Promise<AppCredential | undefined> {
    const r = await this.#db.selectFrom('app_credentials').selectAll().where('user_id', '=', userId).where('name', '=', name).executeTakeFirst();
    return r === undefined ? undefined : fromRow(r);
  }

  async list(userId: string, name?: string): Promise<AppCredential[]> {
    let q = this.#db.selectFrom('app_credentials').selectAll().where('user_id', '=', userId).orderBy('name');
    if (name !== undefined) q = q.where('name', '=', name);
    return (await q.execute()).map(fromRow);
  }

  async checkSecret(id: string, secret: string): Promise<boolean> {
    const r = await this.#db.selectFrom('app_credentials').select('secret_hash').where('id', '=', id).executeTakeFirst();
    return r !== undefined && bcrypt.compare(secret, r.secret_hash);
  }

  async delete(id: string): Promise<void> {
    await this.#db.deleteFrom('app_credentials').where('id', '=', id).execute();
  }

  /** Delete every credential of a user (user deleted) or on a project (project deleted). */
  async deleteFor(kind: 'user' | 'project', id: string): Promise<void> {
    await this.#db.deleteFrom('app_credentials').where(kind === 'user' ? 'user_id' : 'project_id', '=', id).execute();
  }
}
