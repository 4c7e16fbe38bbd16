/** CredentialApi: keystone's rules for /v3/credentials and the EC2 view of them (/v3/users/{id}/credentials/OS-EC2). */
import { createHash, randomUUID } from 'node:crypto';
import { BadRequest, Conflict, Forbidden, NotFound } from '@strata/errors';
import { isUniqueViolation } from '@strata/db';
import type { ProjectStore } from './objects/project.js';
import type { UserStore } from './objects/user.js';
import { newId, type Extra } from './objects/common.js';
import type { Credential, CredentialStore } from './objects/credential.js';
import { isAdmin, type ValidatedToken } from './identity-context.js';

/** The type keystone gives EC2 access keys. */
export const EC2_TYPE = 'ec2';

/** The body of POST /v3/credentials (validated by the route schema). */
export interface CredentialInput {
  readonly user_id: string;
  readonly type: string;
  readonly blob: string;
  readonly project_id?: string | null;
  readonly extra?: Extra;
}

/** The body of PATCH /v3/credentials/{id}. */
export interface CredentialPatch {
  readonly user_id?: string;
  readonly type?: string;
  readonly blob?: string;
  readonly project_id?: string | null;
  readonly extra?: Extra;
}

/** An EC2 credential as the OS-EC2 API shows it. */
export interface Ec2Credential {
  readonly userId: string;
  readonly projectId: string | null;
  readonly access: string;
  readonly secret: string;
  readonly trustId: string | null;
}

/** What CredentialApi needs from the rest of keystone. */
export interface CredentialApiDeps {
  readonly credentials: CredentialStore;
  readonly users: UserStore;
  readonly projects: ProjectStore;
}

/** The id keystone gives an EC2 credential: the SHA-256 of its access key. */
export function ec2CredentialId(access: string): string {
  return createHash('sha256').update(access, 'utf8').digest('hex');
}

function forbidden(action: string): Forbidden {
  return new Forbidden(`You are not authorized to perform the requested action: ${action}.`, { action }, 'ForbiddenAction');
}

/** An EC2 blob must be a JSON object with an access key. */
function ec2Blob(blob: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(blob);
  } catch {
    throw new BadRequest('Invalid blob in credential', {}, 'ValidationError');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || Object.keys(parsed).length === 0) {
    throw new BadRequest("Expecting to find blob in credential. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.", {}, 'ValidationError');
  }
  const b = parsed as Record<string, unknown>;
  if (b.access == null) throw new BadRequest("Expecting to find access in credential. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.", {}, 'ValidationError');
  return b;
}

/** Convert a stored EC2 credential to its OS-EC2 form. */
export function toEc2(c: Credential): Ec2Credential {
  let blob: Record<string, unknown> = {};
  try {
    blob = JSON.parse(c.blob) as Record<string, unknown>;
  } catch {
    blob = {};
  }
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  return { userId: c.userId, projectId: c.projectId, access: str(blob.access) ?? '', secret: str(blob.secret) ?? '', trustId: str(blob.trust_id) };
}

/** Credentials with owner-or-admin policy, plus EC2 keys kept as `ec2` credentials. */
export class CredentialApi {
  readonly #deps: CredentialApiDeps;

  constructor(deps: CredentialApiDeps) {
    this.#deps = deps;
  }

  #mayManage(caller: ValidatedToken, userId: string): boolean {
    return isAdmin(caller) || caller.user.id === userId;
  }

  /** Create a credential for the caller (or anyone, for an admin); EC2 ids derive from the access key. 409 on a duplicate. */
  async create(caller: ValidatedToken, input: CredentialInput): Promise<Credential> {
    if (!this.#mayManage(caller, input.user_id)) throw forbidden('identity:create_credential');
    let id = newId();
    if (input.type.toLowerCase() === EC2_TYPE) {
      if (caller.appCred?.restricted === true) throw forbidden("Using method 'application_credential' is not allowed for managing additional credentials");
      id = ec2CredentialId(String(ec2Blob(input.blob).access));
    }
    return this.#insert({ id, userId: input.user_id, projectId: input.project_id ?? null, type: input.type, blob: input.blob, extra: input.extra ?? {} });
  }

  async #insert(c: Credential): Promise<Credential> {
    try {
      return await this.#deps.credentials.create(c);
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`Conflict occurred attempting to store credential - Duplicate ID, ${c.id}.`, { id: c.id }, 'DuplicateEntry');
      throw err;
    }
  }

  /** Credentials the caller may see: all for an admin, else its own. */
  async list(caller: ValidatedToken, filter: { userId?: string; type?: string }): Promise<Credential[]> {
    const all = await this.#deps.credentials.list(filter);
    return isAdmin(caller) ? all : all.filter((c) => c.userId === caller.user.id);
  }

  /** One credential; 404 when missing, 403 when it is another user's. */
  async get(caller: ValidatedToken, id: string): Promise<Credential> {
    const c = await this.#deps.credentials.get(id);
    if (!this.#mayManage(caller, c.userId)) throw forbidden('identity:get_credential');
    return c;
  }

  /** Update a credential; a non-admin may not hand it to another user. An EC2 blob keeps its access key valid JSON. */
  async update(caller: ValidatedToken, id: string, patch: CredentialPatch): Promise<Credential> {
    const current = await this.get(caller, id);
    if (patch.user_id !== undefined && !this.#mayManage(caller, patch.user_id)) throw forbidden('identity:update_credential');
    const type = patch.type ?? current.type;
    if (type.toLowerCase() === EC2_TYPE && patch.blob !== undefined) {
      const next = ec2Blob(patch.blob);
      const prev = current.type.toLowerCase() === EC2_TYPE ? ec2Blob(current.blob) : {};
      for (const key of ['trust_id', 'app_cred_id', 'access_token_id', 'access_id']) {
        if ((prev[key] ?? null) !== (next[key] ?? null)) throw new BadRequest(`${key} can not be updated for credential`, {}, 'ValidationError');
      }
    }
    return this.#deps.credentials.update(id, {
      ...(patch.user_id !== undefined ? { userId: patch.user_id } : {}),
      ...(patch.project_id !== undefined ? { projectId: patch.project_id } : {}),
      ...(patch.type !== undefined ? { type: patch.type } : {}),
      ...(patch.blob !== undefined ? { blob: patch.blob } : {}),
      ...(patch.extra !== undefined ? { extra: patch.extra } : {}),
    });
  }

  /** Delete a credential the caller owns (or any, for an admin). */
  async delete(caller: ValidatedToken, id: string): Promise<void> {
    await this.get(caller, id);
    await this.#deps.credentials.delete(id);
  }

  // ---- OS-EC2 ------------------------------------------------------------------------

  /** Make a new EC2 key pair for the user on a project. */
  async createEc2(caller: ValidatedToken, userId: string, projectId: string | undefined): Promise<Ec2Credential> {
    if (!this.#mayManage(caller, userId)) throw forbidden('identity:ec2_create_credential');
    if (caller.appCred?.restricted === true) throw forbidden("Using method 'application_credential' is not allowed for managing additional credentials");
    await this.#deps.users.get(userId);
    if (projectId === undefined) throw new BadRequest("Expecting to find tenant_id in request. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.", {}, 'ValidationError');
    await this.#deps.projects.get(projectId);
    const blob = { access: randomUUID().replace(/-/g, ''), secret: randomUUID().replace(/-/g, ''), trust_id: null };
    const c = await this.#insert({ id: ec2CredentialId(blob.access), userId, projectId, type: EC2_TYPE, blob: JSON.stringify(blob), extra: {} });
    return toEc2(c);
  }

  /** The user's EC2 keys. */
  async listEc2(caller: ValidatedToken, userId: string): Promise<Ec2Credential[]> {
    if (!this.#mayManage(caller, userId)) throw forbidden('identity:ec2_list_credentials');
    await this.#deps.users.get(userId);
    return (await this.#deps.credentials.list({ userId, type: EC2_TYPE })).map(toEc2);
  }

  async #ec2(caller: ValidatedToken, userId: string, access: string, action: string): Promise<Credential> {
    if (!this.#mayManage(caller, userId)) throw forbidden(action);
    await this.#deps.users.get(userId);
    const c = await this.#deps.credentials.find(ec2CredentialId(access));
    if (c === undefined || c.type !== EC2_TYPE || c.userId !== userId) throw new NotFound(`Could not find credential: ${ec2CredentialId(access)}.`, {}, 'CredentialNotFound');
    return c;
  }

  /** One EC2 key of the user, by access key; 404 when the user has no such key. */
  async getEc2(caller: ValidatedToken, userId: string, access: string): Promise<Ec2Credential> {
    return toEc2(await this.#ec2(caller, userId, access, 'identity:ec2_get_credential'));
  }

  /** Delete one EC2 key of the user. */
  async deleteEc2(caller: ValidatedToken, userId: string, access: string): Promise<void> {
    const c = await this.#ec2(caller, userId, access, 'identity:ec2_delete_credential');
    await this.#deps.credentials.delete(c.id);
  }
}
