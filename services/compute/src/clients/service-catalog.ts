/** Finds the other services' endpoints in keystone's catalog (GET /v3/auth/catalog with the caller's token), cached briefly. */
import { isOpenStackError } from '@strata/errors';
import { requestJson } from '@strata/clients';

interface CatalogBody {
  readonly catalog: ReadonlyArray<{ readonly type: string; readonly endpoints: ReadonlyArray<{ readonly interface: string; readonly url: string }> }>;
}

/**
 * Endpoint lookup by service type; the answer "not in the catalog" is cached too. Concurrent lookups with one
 * token share one request to keystone, and while keystone is unavailable (503) the last catalog keeps serving.
 */
export class ServiceCatalog {
  readonly #authUrl: string;
  readonly #ttlMs: number;
  readonly #overrides: Readonly<Record<string, string | null>>;
  #cached: { at: number; body: CatalogBody } | undefined;
  readonly #pending = new Map<string, Promise<CatalogBody>>();

  /** `overrides` pins a type to a URL (or to null: absent), e.g. in tests. */
  constructor(authUrl: string, opts: { ttlMs?: number; overrides?: Record<string, string | null> } = {}) {
    this.#authUrl = authUrl;
    this.#ttlMs = opts.ttlMs ?? 10_000;
    this.#overrides = Object.freeze({ ...(opts.overrides ?? {}) });
  }

  /** The public URL of the first of `types` in the catalog, or undefined when none is there. */
  async endpoint(token: string, ...types: string[]): Promise<string | undefined> {
    for (const t of types) {
      if (t in this.#overrides) {
        const v = this.#overrides[t];
        if (v !== null && v !== undefined) return v.replace(/\/$/, '');
        return undefined;
      }
    }
    const body = await this.#catalog(token);
    for (const t of types) {
      const svc = body.catalog.find((s) => s.type === t);
      const ep = svc?.endpoints.find((e) => e.interface === 'public') ?? svc?.endpoints[0];
      if (ep !== undefined) return ep.url.replace(/\/$/, '');
    }
    return undefined;
  }

  async #catalog(token: string): Promise<CatalogBody> {
    const c = this.#cached;
    if (c !== undefined && Date.now() - c.at < this.#ttlMs) return c.body;
    // NOTE: concurrent lookups with one token share one request. Each of a burst of 1,000 server creates
    // used to send its own: keystone fell behind, and the lookups (and token validations queued behind
    // them) timed out into 503s (bench/compute-burst.ts).
    let p = this.#pending.get(token);
    if (p === undefined) {
      p = this.#fetch(token).finally(() => this.#pending.delete(token));
      this.#pending.set(token, p);
    }
    try {
      return await p;
    } catch (err) {
      // Keystone unreachable or overloaded: the last catalog is still the best guess of where services are.
      if (c !== undefined && isOpenStackError(err) && err.status === 503) return c.body;
      throw err;
    }
  }

  async #fetch(token: string): Promise<CatalogBody> {
    const res = await requestJson<CatalogBody>(`${this.#authUrl}/auth/catalog`, { headers: { 'x-auth-token': token }, timeoutMs: 10_000 });
    this.#cached = { at: Date.now(), body: res.body };
    return res.body;
  }
}

/** Headers of a call made on behalf of a user, carrying the global request id on. */
export function onBehalfOf(token: string, globalRequestId: string | undefined): Record<string, string> {
  return { 'x-auth-token': token, ...(globalRequestId !== undefined && /^req-[0-9a-f-]{36}$/.test(globalRequestId) ? { 'x-openstack-request-id': globalRequestId } : {}) };
}
