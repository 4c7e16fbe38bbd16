/** TrustApi: keystone's OS-TRUST rules — who may create, see and delete a trust, and which roles it may carry. */
import { BadRequest, Forbidden, NotFound } from '@strata/errors';
import type { ProjectStore } from './objects/project.js';
import type { Role, RoleStore } from './objects/role.js';
import type { UserStore } from './objects/user.js';
import { TrustStore, type Trust, type TrustFilter } from './objects/trust.js';
import { newId } from './objects/common.js';
import { isAdmin, type ValidatedToken } from './identity-context.js';
import { parseTimestamp, timestampMs } from './timestamps.js';

/** A role as POST /v3/OS-TRUST/trusts names it. */
export interface TrustRoleRef {
  readonly id?: string;
  readonly name?: string;
}

/** The body of POST /v3/OS-TRUST/trusts (validated by the route schema). */
export interface TrustInput {
  readonly trustor_user_id: string;
  readonly trustee_user_id: string;
  readonly impersonation: boolean;
  readonly project_id?: string | null;
  readonly roles?: readonly TrustRoleRef[];
  readonly expires_at?: string | null;
  readonly remaining_uses?: number | null;
  readonly allow_redelegation?: boolean;
  readonly extra?: Record<string, unknown>;
}

/** What TrustApi needs from the rest of keystone. */
export interface TrustApiDeps {
  readonly trusts: TrustStore;
  readonly users: UserStore;
  readonly projects: ProjectStore;
  readonly roles: RoleStore;
  /** Role ids the user holds on the project, domain-specific roles included. */
  readonly rolesOnProject: (userId: string, projectId: string) => Promise<string[]>;
  /** Called after a trust is deleted, so tokens issued through it stop validating at once. */
  readonly onDelete: () => void;
}

/** Longest chain of redelegations a trust may start (keystone's [trust] max_redelegation_count). */
const MAX_REDELEGATION_COUNT = 3;

function forbidden(action: string): Forbidden {
  return new Forbidden(`You are not authorized to perform the requested action: ${action}.`, { action }, 'ForbiddenAction');
}

/** Trust creation, listing, reading and deletion. */
export class TrustApi {
  readonly #deps: TrustApiDeps;

  constructor(deps: TrustApiDeps) {
    this.#deps = deps;
  }

  /** Create a trust; the caller must be the trustor and hold every delegated role on the project. */
  async create(caller: ValidatedToken, input: TrustInput): Promise<Trust> {
    if (caller.appCred !== undefined) throw forbidden("Using method 'application_credential' is not allowed for managing trusts");
    // NOTE: redelegation (a trust made with a trust token) is not supported yet.
    if (caller.trust !== undefined) throw forbidden('Redelegation of trusts is not supported');
    const projectId = input.project_id ?? null;
    const wanted = input.roles ?? [];
    if (projectId !== null && wanted.length === 0) throw forbidden('At least one role should be specified');
    if (caller.user.id !== input.trustor_user_id) throw forbidden('The authenticated user should match the trustor');
    await this.#deps.users.get(input.trustee_user_id);
    const roleIds: string[] = [];
    for (const ref of wanted) {
      if (ref.id !== undefined) roleIds.push((await this.#deps.roles.get(ref.id)).id);
      else if (ref.name !== undefined) {
        const role = await this.#deps.roles.findByName(ref.name);
        if (role === undefined) throw new NotFound(`Could not find role: ${ref.name}.`, { name: ref.name }, 'RoleNotFound');
        roleIds.push(role.id);
      } else throw new BadRequest("Invalid input for field 'roles': a role needs an id or a name.", {}, 'ValidationError');
    }
    if (projectId !== null) {
      await this.#deps.projects.get(projectId);
      const held = await this.#deps.rolesOnProject(input.trustor_user_id, projectId);
      const missing = roleIds.find((r) => !held.includes(r));
      if (missing !== undefined) throw new NotFound(`Could not find role: ${missing}.`, { id: missing }, 'RoleNotFound');
    }
    let expiresAt: string | null = null;
    if (input.expires_at != null) {
      expiresAt = parseTimestamp(input.expires_at, 'expires_at');
      if (timestampMs(expiresAt) <= Date.now()) throw new BadRequest("The 'expires_at' must not be before now. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.", {}, 'ValidationExpirationError');
    }
    const allowRedelegation = input.allow_redelegation ?? false;
    return this.#deps.trusts.create({
      id: newId(),
      trustorUserId: input.trustor_user_id,
      trusteeUserId: input.trustee_user_id,
      projectId,
      impersonation: input.impersonation,
      expiresAt,
      remainingUses: input.remaining_uses ?? null,
      allowRedelegation,
      redelegatedTrustId: null,
      redelegationCount: allowRedelegation ? MAX_REDELEGATION_COUNT : null,
      roleIds: [...new Set(roleIds)],
      extra: input.extra ?? {},
    });
  }

  /** List trusts: all of them for an admin; otherwise only with a trustor or trustee filter naming the caller. */
  async list(caller: ValidatedToken, filter: TrustFilter): Promise<Trust[]> {
    if (caller.appCred !== undefined) throw forbidden("Using method 'application_credential' is not allowed for managing trusts");
    if (!isAdmin(caller)) {
      if (filter.trustorUserId !== undefined) {
        if (filter.trustorUserId !== caller.user.id) throw forbidden('identity:list_trusts_for_trustor');
      } else if (filter.trusteeUserId !== undefined) {
        if (filter.trusteeUserId !== caller.user.id) throw forbidden('identity:list_trusts_for_trustee');
      } else throw forbidden('identity:list_trusts');
    }
    return this.#deps.trusts.list(filter);
  }

  /** A trust the caller is party to (or any, for an admin); 404 before 403 as keystone answers. */
  async get(caller: ValidatedToken, id: string): Promise<Trust> {
    if (caller.appCred !== undefined) throw forbidden("Using method 'application_credential' is not allowed for managing trusts");
    const t = await this.#deps.trusts.get(id);
    if (!isAdmin(caller) && caller.user.id !== t.trustorUserId && caller.user.id !== t.trusteeUserId) throw forbidden('Requested user has no relation to this trust');
    return t;
  }

  /** The delegated roles of a trust the caller may see. */
  async roles(caller: ValidatedToken, id: string): Promise<Role[]> {
    const t = await this.get(caller, id);
    return this.#deps.roles.list({ ids: t.roleIds });
  }

  /** One delegated role; 404 when the trust does not carry it. */
  async role(caller: ValidatedToken, id: string, roleId: string): Promise<Role> {
    const t = await this.get(caller, id);
    if (!t.roleIds.includes(roleId)) throw new NotFound(`Could not find role: ${roleId}.`, { id: roleId }, 'RoleNotFound');
    return this.#deps.roles.get(roleId);
  }

  /** Delete a trust; only its trustor or an admin may. */
  async delete(caller: ValidatedToken, id: string): Promise<void> {
    if (caller.appCred !== undefined) throw forbidden("Using method 'application_credential' is not allowed for managing trusts");
    const t = await this.#deps.trusts.get(id);
    if (!isAdmin(caller) && caller.user.id !== t.trustorUserId) throw forbidden('Only admin or trustor can delete a trust');
    await this.#deps.trusts.delete(id);
    this.#deps.onDelete();
  }
}
