/** The caller of an identity request, derived from its validated X-Auth-Token. */
import type { TokenPayload } from './token/token-provider.js';

/** A validated token with what was read for it at validation time. */
export interface ValidatedToken {
  readonly id: string;
  readonly payload: TokenPayload;
  readonly user: { readonly id: string; readonly name: string; readonly domainId: string; readonly domainName: string; readonly passwordExpiresAt: string | null };
  readonly project?: { readonly id: string; readonly name: string; readonly domainId: string; readonly domainName: string; readonly isDomain: boolean };
  readonly domain?: { readonly id: string; readonly name: string };
  readonly system: boolean;
  readonly roles: ReadonlyArray<{ readonly id: string; readonly name: string }>;
  readonly appCred?: { readonly id: string; readonly name: string; readonly restricted: boolean };
  /** Set when the token was issued through a trust. */
  readonly trust?: { readonly id: string; readonly impersonation: boolean; readonly trustorUserId: string; readonly trusteeUserId: string };
}

/** True when the token carries the admin role (keystone's legacy admin_required). */
export function isAdmin(t: ValidatedToken): boolean {
  return t.roles.some((r) => r.name === 'admin');
}

/** True when the token carries any of the roles. */
export function hasAnyRole(t: ValidatedToken, names: readonly string[]): boolean {
  return t.roles.some((r) => names.includes(r.name));
}
