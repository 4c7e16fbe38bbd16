/** Issues and verifies Strata tokens: compact JWS (HS256) whose claims name the user, scope, methods and audit ids. */
import { randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify, decodeProtectedHeader, errors as joseErrors } from 'jose';
import { Unauthorized } from '@strata/errors';
import type { KeyRepository, KeySet } from './key-repository.js';

/** What a token is scoped to. */
export type TokenScope =
  | { readonly kind: 'unscoped' }
  | { readonly kind: 'project'; readonly projectId: string }
  | { readonly kind: 'domain'; readonly domainId: string }
  | { readonly kind: 'system' };

/** The facts a token carries; everything else (roles, names, catalog) is read at validation. */
export interface TokenPayload {
  readonly userId: string;
  readonly methods: readonly string[];
  readonly scope: TokenScope;
  /** ISO time with milliseconds. */
  readonly issuedAt: string;
  readonly expiresAt: string;
  /** This token's audit id first, then the audit chain id of the token it was rescoped from. */
  readonly auditIds: readonly string[];
  readonly appCredId?: string;
  /** Set on a token issued through a trust (OS-TRUST); its scope is the trust's project. */
  readonly trustId?: string;
  /** How long keystone took to authenticate before issuing (ms); authentication began at issuedAt minus this. */
  readonly authMs?: number;
}

interface Claims {
  sub: string;
  m: string[];
  s: { p?: string; d?: string; sys?: true };
  ia: string;
  ea: string;
  a: string[];
  ac?: string;
  tr?: string;
  au?: number;
}

/** A url-safe random audit id, as keystone makes them (22 characters). */
export function newAuditId(): string {
  return randomBytes(16).toString('base64url');
}

/** Signs and verifies tokens with the key repository's keys. */
export class TokenProvider {
  readonly #repo: KeyRepository;
  #keys: KeySet;

  constructor(repo: KeyRepository) {
    this.#repo = repo;
    this.#keys = repo.load();
  }

  /** Re-read the keys (after `strata keystone rotate-keys`). */
  reloadKeys(): void {
    this.#keys = this.#repo.load();
  }

  /** Sign a token for the payload. */
  async issue(p: TokenPayload): Promise<string> {
    const claims: Claims = { sub: p.userId, m: [...p.methods], s: {}, ia: p.issuedAt, ea: p.expiresAt, a: [...p.auditIds] };
    if (p.scope.kind === 'project') claims.s.p = p.scope.projectId;
    if (p.scope.kind === 'domain') claims.s.d = p.scope.domainId;
    if (p.scope.kind === 'system') claims.s.sys = true;
    if (p.appCredId !== undefined) claims.ac = p.appCredId;
    if (p.trustId !== undefined) claims.tr = p.trustId;
    if (p.authMs !== undefined) claims.au = p.authMs;
    const expSeconds = Math.ceil(Date.parse(p.expiresAt) / 1000);
    return new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'HS256', kid: this.#keys.primary.kid, typ: 'JWT' })
      .setExpirationTime(expSeconds)
      .sign(this.#keys.primary.key);
  }

  /** Verify signature and expiry; 401 for anything that is not a live token of ours. */
  async verify(token: string): Promise<TokenPayload> {
    if (token.length > 8192 || token.split('.').length !== 3) throw invalid();
    let kid: string | undefined;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      throw invalid();
    }
    const key = kid === undefined ? undefined : this.#keys.byKid.get(kid);
    if (key === undefined) throw invalid();
    let claims: Claims;
    try {
      const { payload } = await jwtVerify(token, key.key, { algorithms: ['HS256'] });
      claims = payload as unknown as Claims;
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw new Unauthorized('The request you have made requires authentication.', {}, 'TokenExpired');
      throw invalid();
    }
    if (Date.parse(claims.ea) <= Date.now()) throw new Unauthorized('The request you have made requires authentication.', {}, 'TokenExpired');
    const scope: TokenScope =
      claims.s.p !== undefined ? { kind: 'project', projectId: claims.s.p } : claims.s.d !== undefined ? { kind: 'domain', domainId: claims.s.d } : claims.s.sys === true ? { kind: 'system' } : { kind: 'unscoped' };
    return {
      userId: claims.sub,
      methods: claims.m,
      scope,
      issuedAt: claims.ia,
      expiresAt: claims.ea,
      auditIds: claims.a,
      ...(claims.ac !== undefined ? { appCredId: claims.ac } : {}),
      ...(claims.tr !== undefined ? { trustId: claims.tr } : {}),
      ...(typeof claims.au === 'number' && Number.isFinite(claims.au) ? { authMs: claims.au } : {}),
    };
  }
}

function invalid(): Unauthorized {
  return new Unauthorized('The request you have made requires authentication.', {}, 'InvalidToken');
}
