/** Client of keystone's Identity v3 API: password authentication, token validation and the catalog. */
import { requestJson } from './http-client.js';

/** The token body keystone returns (the fields Strata reads). */
export interface TokenBody {
  readonly methods: readonly string[];
  readonly user: { readonly id: string; readonly name: string; readonly domain: { readonly id: string; readonly name: string } };
  readonly project?: { readonly id: string; readonly name: string; readonly domain: { readonly id: string; readonly name: string } };
  readonly domain?: { readonly id: string; readonly name: string };
  readonly system?: { readonly all: boolean };
  readonly roles?: ReadonlyArray<{ readonly id: string; readonly name: string }>;
  readonly expires_at: string;
  readonly issued_at: string;
  readonly audit_ids: readonly string[];
  readonly catalog?: ReadonlyArray<{ readonly type: string; readonly name: string; readonly endpoints: ReadonlyArray<{ readonly interface: string; readonly region_id: string | null; readonly url: string }> }>;
  /** Strata only, when validation asked for it (authTiming): when keystone began authenticating for this token, and for how long. */
  readonly 'strata:authentication'?: { readonly started_at: string; readonly duration_ms: number };
}

/** A token and what keystone said about it. */
export interface IssuedToken {
  readonly id: string;
  readonly body: TokenBody;
}

/** Password credentials, project-scoped by name. */
export interface PasswordAuth {
  readonly username: string;
  readonly password: string;
  readonly projectName?: string;
  readonly userDomainId?: string;
  readonly projectDomainId?: string;
}

/** Talks to one keystone at `authUrl` (…/v3). */
export class IdentityClient {
  readonly #authUrl: string;
  readonly #timeoutMs: number;

  constructor(authUrl: string, timeoutMs = 10_000) {
    this.#authUrl = authUrl.replace(/\/+$/, '');
    this.#timeoutMs = timeoutMs;
  }

  /** POST /v3/auth/tokens with a password. */
  async authenticate(auth: PasswordAuth, opts: { nocatalog?: boolean } = {}): Promise<IssuedToken> {
    const scope = auth.projectName === undefined ? undefined : { project: { name: auth.projectName, domain: { id: auth.projectDomainId ?? 'default' } } };
    const res = await requestJson<{ token: TokenBody }>(`${this.#authUrl}/auth/tokens${opts.nocatalog === true ? '?nocatalog' : ''}`, {
      method: 'POST',
      timeoutMs: this.#timeoutMs,
      body: { auth: { identity: { methods: ['password'], password: { user: { name: auth.username, password: auth.password, domain: { id: auth.userDomainId ?? 'default' } } } }, ...(scope !== undefined ? { scope } : {}) } },
    });
    const id = res.headers.get('x-subject-token');
    if (id === null) throw new Error('keystone returned no X-Subject-Token');
    return { id, body: res.body.token };
  }

  /**
   * GET /v3/auth/tokens: validate `subjectToken` using `authToken` (a service token, or the subject itself).
   * Throws an OpenStackError with keystone's status (404 for an invalid subject, 401 for a bad caller).
   */
  async validateToken(authToken: string, subjectToken: string, opts: { nocatalog?: boolean; globalRequestId?: string; authTiming?: boolean } = {}): Promise<TokenBody> {
    const res = await requestJson<{ token: TokenBody }>(`${this.#authUrl}/auth/tokens${opts.nocatalog === false ? '' : '?nocatalog'}`, {
      timeoutMs: this.#timeoutMs,
      headers: {
        'x-auth-token': authToken,
        'x-subject-token': subjectToken,
        ...(opts.globalRequestId !== undefined ? { 'x-openstack-request-id': opts.globalRequestId } : {}),
        ...(opts.authTiming === true ? { 'x-strata-auth-timing': '1' } : {}),
      },
    });
    return res.body.token;
  }

  /** DELETE /v3/auth/tokens. */
  async revokeToken(authToken: string, subjectToken: string): Promise<void> {
    await requestJson(`${this.#authUrl}/auth/tokens`, { method: 'DELETE', timeoutMs: this.#timeoutMs, headers: { 'x-auth-token': authToken, 'x-subject-token': subjectToken } });
  }
}

/** The URL of the first endpoint of `type` on `iface` (and region, if given) in a token's catalog. */
export function endpointFor(body: TokenBody, type: string, iface = 'public', region?: string): string | undefined {
  for (const s of body.catalog ?? []) {
    if (s.type !== type) continue;
    const ep = s.endpoints.find((e) => e.interface === iface && (region === undefined || e.region_id === region));
    if (ep !== undefined) return ep.url;
  }
  return undefined;
}
