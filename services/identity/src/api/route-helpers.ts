/** Small helpers the identity routes share: caller authentication, keystone's legacy policy, schemas. */
import type { FastifyRequest } from 'fastify';
import { Forbidden, Unauthorized, isOpenStackError } from '@strata/errors';
import { requestBaseUrl } from '@strata/http';
import type { IdentityApi } from '../identity-api.js';
import { isAdmin, type ValidatedToken } from '../identity-context.js';

/** Validate the caller's X-Auth-Token; 401 when missing or not valid. */
export async function callerToken(api: IdentityApi, request: FastifyRequest): Promise<ValidatedToken> {
  const header = request.headers['x-auth-token'];
  if (typeof header !== 'string' || header === '') throw new Unauthorized();
  try {
    return await api.validate(header);
  } catch (err) {
    if (isOpenStackError(err) && err.status === 404) throw new Unauthorized('The request you have made requires authentication.', {}, 'InvalidToken');
    throw err;
  }
}

/** 403 unless the caller is an admin (keystone's admin_required), or `allowed` holds. */
export function requireAdmin(t: ValidatedToken, action: string, allowed = false): void {
  if (allowed || isAdmin(t)) return;
  throw new Forbidden(`You are not authorized to perform the requested action: ${action}.`, { action }, 'Forbidden');
}

/** Base URL for links in bodies. */
export function base(request: FastifyRequest): string {
  return requestBaseUrl(request);
}

/** The URL of this request, for collection self links. */
export function selfUrl(request: FastifyRequest): string {
  return `${requestBaseUrl(request)}${request.url}`;
}

/** JSON-schema pieces keystone uses. */
export const schemas = {
  name: { type: 'string', minLength: 1, maxLength: 255 },
  /** Project and domain names: at most 64 characters, not only blanks. */
  shortName: { type: 'string', minLength: 1, maxLength: 64, pattern: '\\S' },
  id: { type: 'string', minLength: 1, maxLength: 64 },
  description: { type: ['string', 'null'] },
  enabled: { type: 'boolean' },
  nullableId: { type: ['string', 'null'], maxLength: 64 },
  tags: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[^,/]*$' }, maxItems: 80, uniqueItems: true },
} as const;

/** Copy keys that are not in `known` into an `extra` object (keystone keeps unknown attributes). */
export function extraOf(body: Record<string, unknown>, known: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) if (!known.includes(k)) out[k] = v;
  return out;
}
