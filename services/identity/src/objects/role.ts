/** Roles, implied roles and role assignments (users or groups, on projects, domains or the system). */
import { NotFound } from '@strata/errors';
import { jsonColumn, toBool } from '@strata/db';
import { GLOBAL_ROLE_DOMAIN, type AssignmentTable, type RoleTable } from '../db/schema.js';
import { newId, readExtra, withDuplicateCheck, type Extra, type IdentityDb } from './common.js';

/** A role. */
export interface Role {
  readonly id: string;
  readonly name: string;
  /** The owning domain, or null for a global role. */
  readonly domainId: string | null;
  readonly description: string;
  readonly extra: Extra;
}

/** One grant of a role. */
export interface Assignment {
  readonly actorType: 'user' | 'group';
  readonly actorId: string;
  readonly targetType: 'project' | 'domain' | 'system';
  readonly targetId: string;
  readonly roleId: string;
  readonly inherited: boolean;
}

function roleFromRow(r: RoleTable): Role {
  return { id: r.id, name: r.name, domainId: r.domain_key === GLOBAL_ROLE_DOMAIN ? null : r.domain_key, description: r.description, extra: readExtra(r.extra) };
}

function assignmentFromRow(r: AssignmentTable): Assignment {
  return { actorType: r.actor_type, actorId: r.actor_id, targetType: r.target_type, targetId: r.target_id, roleId: r.role_id, inherited: toBool(r.inherited) };
}

/** Read and write roles, implications and assignments. */
export class RoleStore {
  readonly #db: IdentityDb;
  constructor(db: IdentityDb) {
    this.#db = db;
  }

  async create(input: { name: string; domainId?: string | null; description?: string; extra?: Extra; id?: string }): Promise<Role> {
    const row: RoleTable = {
      id: input.id ?? newId(),
      name: input.name,
      domain_key: input.domainId ?? GLOBAL_ROLE_DOMAIN,
      description: input.description ?? '',
      extra: jsonColumn(input.extra ?? {}),
    };
    await withDuplicateCheck('role', input.name, () => this.#db.insertInto('roles').values(row).execute());
    return roleFromRow(row);
  }

  async find(id: string): Promise<Role | undefined> {
    const r = await this.#db.selectFrom('roles').selectAll().where('id', '=', id).executeTakeFirst();
    return r === undefined ? undefined : roleFromRow(r);
  }

  /** The role; 404 when missing. */
  async get(id: string): Promise<Role> {
    const r = await this.find(id);
    if (r === undefined) throw new NotFound(`Could not find role: ${id}.`, { id }, 'RoleNotFound');
    return r;
  }

  async findByName(name: string, domainId: string | null = null): Promise<Role | undefined> {
    const r = await this.#db.selectFrom('roles').selectAll().where('name', '=', name).where('domain_key', '=', domainId ?? GLOBAL_ROLE_DOMAIN).executeTakeFirst();
    return r === undefined ? undefined : roleFromRow(r);
  }

  /** List; without domainId only global roles, as keystone does. */
  async list(filter: { name?: string; domainId?: string | null; ids?: readonly string[] } = {}): Promise<Role[]> {
    let q = this.#db.selectFrom('roles').selectAll().orderBy('name');
    if (filter.ids !== undefined) {
      if (filter.ids.length === 0) return [];
      q = q.where('id', 'in', filter.ids);
    } else {
      q = q.where('domain_key', '=', filter.domainId ?? GLOBAL_ROLE_DOMAIN);
    }
    if (filter.name !== undefined) q = q.where('name', '=', filter.name);
    return (await q.execute()).map(roleFromRow);
  }

  async update(id: string, input: { name?: string; description?: string; extra?: Extra }): Promise<Role> {
    const current = await this.get(id);
    const set: Partial<RoleTable> = {};
    if (input.name !== undefined) set.name = input.name;
    if (input.description !== undefined) set.description = input.description;
    if (input.extra !== undefined) set.extra = jsonColumn({ ...current.extra, ...input.extra });
    if (Object.keys(set).length > 0) {
      await withDuplicateCheck('role', input.name ?? current.name, () => this.#db.updateTable('roles').set(set).where('id', '=', id).execute());
    }
    return this.get(id);
  }

  /** Delete the role with its assignments and implications. */
  async delete(id: string): Promise<void> {
    await this.#db.deleteFrom('assignments').where('role_id', '=', id).execute();
    await this.#db.deleteFrom('implied_roles').where((eb) => eb.or([eb('prior_role_id', '=', id), eb('implied_role_id', '=', id)])).execute();
    await this.#db.deleteFrom('roles').where('id', '=', id).execute();
  }

  // ---- implied roles ---------------------------------------------------------------

  async addImplied(priorId: string, impliedId: string): Promise<void> {
    const exists = await this.#db.selectFrom('implied_roles').select('prior_role_id').where('prior_role_id', '=', priorId).where('implied_role_id', '=', impliedId).executeTakeFirst();
    if (exists === undefined) await this.#db.insertInto('implied_roles').values({ prior_role_id: priorId, implied_role_id: impliedId }).execute();
  }

  async removeImplied(priorId: string, impliedId: string): Promise<boolean> {
    const r = await this.#db.deleteFrom('implied_roles').where('prior_role_id', '=', priorId).where('implied_role_id', '=', impliedId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async hasImplied(priorId: string, impliedId: string): Promise<boolean> {
    const r = await this.#db.selectFrom('implied_roles').select('prior_role_id').where('prior_role_id', '=', priorId).where('implied_role_id', '=', impliedId).executeTakeFirst();
    return r !== undefined;
  }

  /** Every (prior, implied) pair, optionally for one prior role. */
  async listImplied(priorId?: string): Promise<Array<{ priorId: string; impliedId: string }>> {
    let q = this.#db.selectFrom('implied_roles').selectAll();
    if (priorId !== undefined) q = q.where('prior_role_id', '=', priorId);
    return (await q.execute()).map((r) => ({ priorId: r.prior_role_id, impliedId: r.implied_role_id }));
  }

  /** Role ids plus every role they imply, transitively. */
  async expandImplied(roleIds: readonly string[]): Promise<string[]> {
    const all = await this.listImplied();
    const out = new Set(roleIds);
    let frontier = [...roleIds];
    while (frontier.length > 0) {
      const next: string[] = [];
      for (const p of all) {
        if (frontier.includes(p.priorId) && !out.has(p.impliedId)) {
          out.add(p.impliedId);
          next.push(p.impliedId);
        }
      }
      frontier = next;
    }
    return [...out];
  }

  // ---- assignments -----------------------------------------------------------------

  /** Grant (idempotent). */
  async grant(a: Assignment): Promise<void> {
    if (await this.hasGrant(a)) return;
    await this.#db
      .insertInto('assignments')
      .values({ actor_type: a.actorType, actor_id: a.actorId, target_type: a.targetType, target_id: a.targetId, role_id: a.roleId, inherited: a.inherited })
      .execute();
  }

  /** Revoke; false when there was no such grant. */
  async revoke(a: Assignment): Promise<boolean> {
    const r = await this.#db
      .deleteFrom('assignments')
      .where('actor_type', '=', a.actorType)
      .where('actor_id', '=', a.actorId)
      .where('target_type', '=', a.targetType)
      .where('target_id', '=', a.targetId)
      .where('role_id', '=', a.roleId)
      .where('inherited', '=', a.inherited)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async hasGrant(a: Assignment): Promise<boolean> {
    const r = await this.#db
      .selectFrom('assignments')
      .select('role_id')
      .where('actor_type', '=', a.actorType)
      .where('actor_id', '=', a.actorId)
      .where('target_type', '=', a.targetType)
      .where('target_id', '=', a.targetId)
      .where('role_id', '=', a.roleId)
      .where('inherited', '=', a.inherited)
      .executeTakeFirst();
    return r !== undefined;
  }

  /** Direct assignments matching the filter. */
  async listAssignments(filter: {
    actorType?: 'user' | 'group';
    actorIds?: readonly string[];
    targetType?: 'project' | 'domain' | 'system';
    targetIds?: readonly string[];
    roleId?: string;
    inherited?: boolean;
  } = {}): Promise<Assignment[]> {
    let q = this.#db.selectFrom('assignments').selectAll();
    if (filter.actorType !== undefined) q = q.where('actor_type', '=', filter.actorType);
    if (filter.actorIds !== undefined) {
      if (filter.actorIds.length === 0) return [];
      q = q.where('actor_id', 'in', filter.actorIds);
    }
    if (filter.targetType !== undefined) q = q.where('target_type', '=', filter.targetType);
    if (filter.targetIds !== undefined) {
      if (filter.targetIds.length === 0) return [];
      q = q.where('target_id', 'in', filter.targetIds);
    }
    if (filter.roleId !== undefined) q = q.where('role_id', '=', filter.roleId);
    if (filter.inherited !== undefined) q = q.where('inherited', '=', filter.inherited);
    return (await q.execute()).map(assignmentFromRow);
  }

  /** Remove every assignment of an actor or on a target (when deleting it). */
  async deleteAssignmentsOf(kind: 'actor' | 'target', id: string): Promise<void> {
    await this.#db.deleteFrom('assignments').where(kind === 'actor' ? 'actor_id' : 'target_id', '=', id).execute();
  }
}
