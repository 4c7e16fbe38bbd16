/** Trusts (OS-TRUST): a trustor delegates some of its roles on a project to a trustee. */
import { NotFound } from '@strata/errors';
import { jsonColumn, nowIso, toBool } from '@strata/db';
import type { TrustTable } from '../db/schema.js';
import { timestampMs } from '../timestamps.js';
import { readExtra, type Extra, type IdentityDb } from './common.js';

/** A trust with the ids of its delegated roles. */
export interface Trust {
  readonly id: string;
  readonly trustorUserId: string;
  readonly trusteeUserId: string;
  readonly projectId: string | null;
  readonly impersonation: boolean;
  /** ISO time with microseconds and a Z, or null for a trust that never expires. */
  readonly expiresAt: string | null;
  /** Uses left, or null for unlimited. */
  readonly remainingUses: number | null;
  readonly allowRedelegation: boolean;
  readonly redelegatedTrustId: string | null;
  readonly redelegationCount: number | null;
  readonly roleIds: readonly string[];
  readonly extra: Extra;
}

/** Filters of GET /v3/OS-TRUST/trusts. */
export interface TrustFilter {
  readonly trustorUserId?: string;
  readonly trusteeUserId?: string;
}

function fromRow(r: TrustTable, roleIds: readonly string[]): Trust {
  return {
    id: r.id,
    trustorUserId: r.trustor_user_id,
    trusteeUserId: r.trustee_user_id,
    projectId: r.project_id,
    impersonation: toBool(r.impersonation),
    expiresAt: r.expires_at,
    remainingUses: r.remaining_uses === null ? null : Number(r.remaining_uses),
    allowRedelegation: toBool(r.allow_redelegation),
    redelegatedTrustId: r.redelegated_trust_id,
    redelegationCount: r.redelegation_count === null ? null : Number(r.redelegation_count),
    roleIds,
    extra: readExtra(r.extra),
  };
}

/** True while a trust can be used: not expired and with uses left. */
export function trustIsLive(t: Trust, now = Date.now()): boolean {
  if (t.expiresAt !== null && timestampMs(t.expiresAt) <= now) return false;
  return t.remainingUses === null || t.remainingUses > 0;
}

/** Read and write trusts. */
export class TrustStore {
  readonly #db: IdentityDb;
  constructor(db: IdentityDb) {
    this.#db = db;
  }

  /** Insert a trust and its roles. */
  async create(t: Trust): Promise<Trust> {
    await this.#db
      .insertInto('trusts')
      .values({
        id: t.id,
        trustor_user_id: t.trustorUserId,
        trustee_user_id: t.trusteeUserId,
        project_id: t.projectId,
        impersonation: t.impersonation,
        expires_at: t.expiresAt,
        remaining_uses: t.remainingUses,
        allow_redelegation: t.allowRedelegation,
        redelegated_trust_id: t.redelegatedTrustId,
        redelegation_count: t.redelegationCount,
        extra: jsonColumn(t.extra),
        created_at: nowIso(),
      })
      .execute();
    for (const roleId of new Set(t.roleIds)) await this.#db.insertInto('trust_roles').values({ trust_id: t.id, role_id: roleId }).execute();
    return t;
  }

  async #withRoles(rows: readonly TrustTable[]): Promise<Trust[]> {
    if (rows.length === 0) return [];
    const roles = await this.#db.selectFrom('trust_roles').selectAll().where('trust_id', 'in', rows.map((r) => r.id)).orderBy('role_id').execute();
    return rows.map((r) => fromRow(r, roles.filter((x) => x.trust_id === r.id).map((x) => x.role_id)));
  }

  /** A usable trust, or undefined when missing, expired or used up (keystone hides those). */
  async find(id: string): Promise<Trust | undefined> {
    const r = await this.#db.selectFrom('trusts').selectAll().where('id', '=', id).executeTakeFirst();
    if (r === undefined) return undefined;
    const t = (await this.#withRoles([r]))[0];
    return t !== undefined && trustIsLive(t) ? t : undefined;
  }

  /** A trust that has not expired, even with no uses left (tokens it already issued stay valid). */
  async findUnexpired(id: string): Promise<Trust | undefined> {
    const r = await this.#db.selectFrom('trusts').selectAll().where('id', '=', id).executeTakeFirst();
    if (r === undefined) return undefined;
    const t = (await this.#withRoles([r]))[0];
    return t !== undefined && (t.expiresAt === null || timestampMs(t.expiresAt) > Date.now()) ? t : undefined;
  }

  /** Use a trust once: counts down remaining_uses when it is limited. False when no use was left. */
  async consume(t: Trust): Promise<boolean> {
    if (t.remainingUses === null) return true;
    const r = await this.#db.updateTable('trusts').set((eb) => ({ remaining_uses: eb('remaining_uses', '-', 1) })).where('id', '=', t.id).where('remaining_uses', '>', 0).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** A usable trust; 404 otherwise. */
  async get(id: string): Promise<Trust> {
    const t = await this.find(id);
    if (t === undefined) throw new NotFound(`Could not find trust: ${id}.`, { id }, 'TrustNotFound');
    return t;
  }

  /** Usable trusts, optionally of one trustor or trustee. */
  async list(filter: TrustFilter = {}): Promise<Trust[]> {
    let q = this.#db.selectFrom('trusts').selectAll().orderBy('created_at').orderBy('id');
    if (filter.trustorUserId !== undefined) q = q.where('trustor_user_id', '=', filter.trustorUserId);
    if (filter.trusteeUserId !== undefined) q = q.where('trustee_user_id', '=', filter.trusteeUserId);
    return (await this.#withRoles(await q.execute())).filter((t) => trustIsLive(t));
  }

  /** Delete one trust and its roles. */
  async delete(id: string): Promise<void> {
    await this.#db.deleteFrom('trust_roles').where('trust_id', '=', id).execute();
    await this.#db.deleteFrom('trusts').where('id', '=', id).execute();
  }

  /** Remove a deleted role from every trust that delegated it. */
  async forgetRole(roleId: string): Promise<void> {
    await this.#db.deleteFrom('trust_roles').where('role_id', '=', roleId).execute();
  }

  /** Ids of the trusts a user gave or received, or that are on a project (before deleting it). */
  async idsFor(kind: 'user' | 'project', id: string): Promise<string[]> {
    const q = this.#db.selectFrom('trusts').select('id');
    const rows = kind === 'user' ? await q.where((eb) => eb.or([eb('trustor_user_id', '=', id), eb('trustee_user_id', '=', id)])).execute() : await q.where('project_id', '=', id).execute();
    return rows.map((r) => r.id);
  }
}
