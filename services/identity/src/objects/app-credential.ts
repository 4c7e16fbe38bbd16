/** Application credentials: a user's delegated secret for one project, with a subset of the user's roles. */
import bcrypt from 'bcrypt';
import { NotFound } from '@strata/errors';
import { jsonColumn, nowIso, parseJsonColumn, toBool } from '@strata/db';
import type { AppCredentialTable } from '../db/schema.js';
import type { AccessRule, AccessRuleStore } from './access-rule.js';
import { newId, withDuplicateCheck, type IdentityDb } from './common.js';

/** A role as an application credential keeps it. */
export interface RoleRef {
  readonly id: string;
  readonly name: string;
  readonly domain_id?: string | null;
}

/** An application credential (never with its secret). */
export interface AppCredential {
  readonly id: string;
  readonly name: string;
  readonly userId: string;
  readonly projectId: string;
  readonly description: string;
  /** ISO time, possibly with microseconds; null when it never expires. */
  readonly expiresAt: string | null;
  readonly unrestricted: boolean;
  readonly roles: readonly RoleRef[];
  /** The access rules that limit what the credential may call; empty means no limit. */
  readonly accessRules: readonly AccessRule[];
}

const fromRow = (r: AppCredentialTable, accessRules: readonly AccessRule[]): AppCredential => ({
  id: r.id,
  name: r.name,
  userId: r.user_id,
  projectId: r.project_id,
  description: r.description,
  expiresAt: r.expires_at,
  unrestricted: toBool(r.unrestricted),
  roles: parseJsonColumn<RoleRef[]>(r.roles, []),
  accessRules,
});

/** Read and write application credentials. */
export class AppCredentialStore {
  readonly #db: IdentityDb;
  readonly #rounds: number;
  readonly #rules: AccessRuleStore;
  /** @param rounds bcrypt cost for secrets; @param rules where the credentials' access rules live. */
  constructor(db: IdentityDb, rounds: number, rules: AccessRuleStore) {
    this.#db = db;
    this.#rounds = rounds;
    this.#rules = rules;
  }

  async #withRules(rows: readonly AppCredentialTable[]): Promise<AppCredential[]> {
    const rules = await this.#rules.forAppCreds(rows.map((r) => r.id));
    return rows.map((r) => fromRow(r, rules.get(r.id) ?? []));
  }

  /** Create with a hashed secret; the access rules must already be resolved to the user's rules. 409 on a duplicate name. */
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
      // NOTE: rules live in access_rules since migration 0002; the column stays for old rows.
      access_rules: '[]',
      created_at: nowIso(),
    };
    await withDuplicateCheck('application_credential', input.name, () => this.#db.insertInto('app_credentials').values(row).execute());
    await this.#rules.attach(row.id, input.accessRules.map((r) => r.id));
    return fromRow(row, input.accessRules);
  }

  /** The credential, or undefined. */
  async find(id: string): Promise<AppCredential | undefined> {
    const r = await this.#db.selectFrom('app_credentials').selectAll().where('id', '=', id).executeTakeFirst();
    return r === undefined ? undefined : (await this.#withRules([r]))[0];
  }

  /** For a user; 404 when missing or another user's. */
  async get(userId: string, id: string): Promise<AppCredential> {
    const a = await this.find(id);
    if (a === undefined || a.userId !== userId) throw new NotFound(`Could not find Application Credential: ${id}.`, { id }, 'ApplicationCredentialNotFound');
    return a;
  }

  /** A user's credential by name, or undefined. */
  async findByName(userId: string, name: string): Promise<AppCredential | undefined> {
    const r = await this.#db.selectFrom('app_credentials').selectAll().where('user_id', '=', userId).where('name', '=', name).executeTakeFirst();
    return r === undefined ? undefined : (await this.#withRules([r]))[0];
  }

  /** A user's credentials by name, optionally only one name. */
  async list(userId: string, name?: string): Promise<AppCredential[]> {
    let q = this.#db.selectFrom('app_credentials').selectAll().where('user_id', '=', userId).orderBy('name');
    if (name !== undefined) q = q.where('name', '=', name);
    return this.#withRules(await q.execute());
  }

  /** True when the secret matches (constant-time compare inside bcrypt). */
  async checkSecret(id: string, secret: string): Promise<boolean> {
    const r = await this.#db.selectFrom('app_credentials').select('secret_hash').where('id', '=', id).executeTakeFirst();
    return r !== undefined && bcrypt.compare(secret, r.secret_hash);
  }

  /** Delete one credential; the access rules it used stay with the user. */
  async delete(id: string): Promise<void> {
    await this.#rules.detach([id]);
    await this.#db.deleteFrom('app_credentials').where('id', '=', id).execute();
  }

  /** Delete every credential of a user (user deleted) or on a project (project deleted). */
  async deleteFor(kind: 'user' | 'project', id: string): Promise<void> {
    const column = kind === 'user' ? 'user_id' : 'project_id';
    const ids = (await this.#db.selectFrom('app_credentials').select('id').where(column, '=', id).execute()).map((r) => r.id);
    await this.#rules.detach(ids);
    await this.#db.deleteFrom('app_credentials').where(column, '=', id).execute();
  }
}
