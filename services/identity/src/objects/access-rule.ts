/** Access rules: a user's (service, method, path) grants that application credentials refer to; a rule outlives the credentials using it. */
import { Forbidden, NotFound } from '@strata/errors';
import type { AccessRuleTable } from '../db/schema.js';
import { newId, type IdentityDb } from './common.js';

/** One access rule of a user. */
export interface AccessRule {
  readonly id: string;
  readonly userId: string;
  readonly service: string;
  readonly path: string;
  readonly method: string;
}

/** What a request asks for: an existing rule by id, or a rule by its attributes. */
export interface AccessRuleSpec {
  readonly id?: string;
  readonly service?: string;
  readonly path?: string;
  readonly method?: string;
}

/** Filters of GET /v3/users/{id}/access_rules. */
export interface AccessRuleFilter {
  readonly service?: string;
  readonly path?: string;
  readonly method?: string;
}

const fromRow = (r: AccessRuleTable): AccessRule => ({ id: r.id, userId: r.user_id, service: r.service, path: r.path, method: r.method });

/** Read and write access rules and their use by application credentials. */
export class AccessRuleStore {
  readonly #db: IdentityDb;
  constructor(db: IdentityDb) {
    this.#db = db;
  }

  /**
   * The user's rule for a spec: by id (404 when the user has no such rule), else the rule with the
   * same service, path and method, created when missing.
   */
  async resolve(userId: string, spec: AccessRuleSpec): Promise<AccessRule> {
    if (spec.id !== undefined) return this.get(userId, spec.id);
    const service = spec.service ?? '';
    const path = spec.path ?? '';
    const method = spec.method ?? '';
    const existing = await this.#db
      .selectFrom('access_rules')
      .selectAll()
      .where('user_id', '=', userId)
      .where('service', '=', service)
      .where('path', '=', path)
      .where('method', '=', method)
      .executeTakeFirst();
    if (existing !== undefined) return fromRow(existing);
    const row: AccessRuleTable = { id: newId(), user_id: userId, service, path, method };
    await this.#db.insertInto('access_rules').values(row).execute();
    return fromRow(row);
  }

  /** The user's rule; 404 when missing or another user's. */
  async get(userId: string, id: string): Promise<AccessRule> {
    const r = await this.#db.selectFrom('access_rules').selectAll().where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
    if (r === undefined) throw new NotFound(`Could not find access rule: ${id}.`, { id }, 'AccessRuleNotFound');
    return fromRow(r);
  }

  /** The user's rules, optionally filtered. */
  async list(userId: string, filter: AccessRuleFilter = {}): Promise<AccessRule[]> {
    let q = this.#db.selectFrom('access_rules').selectAll().where('user_id', '=', userId).orderBy('id');
    if (filter.service !== undefined) q = q.where('service', '=', filter.service);
    if (filter.path !== undefined) q = q.where('path', '=', filter.path);
    if (filter.method !== undefined) q = q.where('method', '=', filter.method);
    return (await q.execute()).map(fromRow);
  }

  /** Rules used by each of the given application credentials, in id order. */
  async forAppCreds(appCredIds: readonly string[]): Promise<Map<string, AccessRule[]>> {
    const out = new Map<string, AccessRule[]>();
    if (appCredIds.length === 0) return out;
    const rows = await this.#db
      .selectFrom('app_cred_access_rules')
      .innerJoin('access_rules', 'access_rules.id', 'app_cred_access_rules.access_rule_id')
      .select(['app_cred_access_rules.app_cred_id', 'access_rules.id', 'access_rules.user_id', 'access_rules.service', 'access_rules.path', 'access_rules.method'])
      .where('app_cred_access_rules.app_cred_id', 'in', appCredIds)
      .orderBy('access_rules.id')
      .execute();
    for (const r of rows) {
      const list = out.get(r.app_cred_id) ?? [];
      list.push(fromRow(r));
      out.set(r.app_cred_id, list);
    }
    return out;
  }

  /** Record that an application credential uses the rules. */
  async attach(appCredId: string, ruleIds: readonly string[]): Promise<void> {
    for (const ruleId of new Set(ruleIds)) await this.#db.insertInto('app_cred_access_rules').values({ app_cred_id: appCredId, access_rule_id: ruleId }).execute();
  }

  /** Forget which rules an application credential used (it is being deleted); the rules stay. */
  async detach(appCredIds: readonly string[]): Promise<void> {
    if (appCredIds.length === 0) return;
    await this.#db.deleteFrom('app_cred_access_rules').where('app_cred_id', 'in', appCredIds).execute();
  }

  /** Delete a rule; 404 when missing, 403 while an application credential uses it. */
  async delete(userId: string, id: string): Promise<void> {
    await this.get(userId, id);
    const used = await this.#db.selectFrom('app_cred_access_rules').select('app_cred_id').where('access_rule_id', '=', id).executeTakeFirst();
    if (used !== undefined) throw new Forbidden(`You are not authorized to perform the requested action: Cannot delete access rule ${id} while an application credential uses it.`, { id }, 'ForbiddenAction');
    await this.#db.deleteFrom('access_rules').where('id', '=', id).execute();
  }

  /** Delete every rule of a user (the user is being deleted). */
  async deleteForUser(userId: string): Promise<void> {
    const ids = (await this.#db.selectFrom('access_rules').select('id').where('user_id', '=', userId).execute()).map((r) => r.id);
    if (ids.length > 0) await this.#db.deleteFrom('app_cred_access_rules').where('access_rule_id', 'in', ids).execute();
    await this.#db.deleteFrom('access_rules').where('user_id', '=', userId).execute();
  }
}
