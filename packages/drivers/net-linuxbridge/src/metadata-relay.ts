/**
 * The host side of the metadata path (neutron's metadata agent): a unix socket the in-namespace
 * proxies forward to. Each request names the guest by X-Forwarded-For and X-Neutron-Network-ID (or
 * X-Neutron-Router-ID); the relay asks who that is (`resolve`, neutron-server behind it) and
 * forwards to nova's metadata API with X-Instance-ID, X-Tenant-ID and X-Instance-ID-Signature.
 */
import { createHmac } from 'node:crypto';
import { createServer, request, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { rmSync } from 'node:fs';
import { isIP } from 'node:net';
import type { Logger } from '@strata/log';

/** The server behind a fixed IP on a network (or behind a router), or null when there is none. */
export type MetadataResolver = (q: { networkId?: string; routerId?: string; ip: string }) => Promise<{ instanceId: string; tenantId: string } | null>;

/** How the relay identifies guests to nova. */
export interface MetadataSigning {
  /** Finds the server of a request. */
  readonly resolve: MetadataResolver;
  /** [compute] metadata_proxy_shared_secret: the HMAC-SHA256 key of X-Instance-ID-Signature. */
  readonly secret: string;
}

/** Headers only the relay may set towards nova. */
const IDENTITY_HEADERS = ['x-instance-id', 'x-instance-id-signature', 'x-tenant-id', 'x-neutron-network-id', 'x-neutron-router-id'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function single(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s.includes(',') ? undefined : s.trim();
}

function answer(res: ServerResponse, status: number, body: string): void {
  if (!res.headersSent) res.writeHead(status, { 'content-type': 'text/plain' });
  res.end(body);
}

/**
 * Relays HTTP requests arriving on a unix socket to `target` (http://host:port). With `signing`,
 * requests are signed for the server they come from (404 when none); without it they go on unsigned
 * (nova then finds the server by X-Forwarded-For, which it does only when it has no shared secret).
 */
export class MetadataRelay {
  readonly socketPath: string;
  readonly #target: URL;
  readonly #log: Logger;
  readonly #signing: MetadataSigning | undefined;
  #server: Server | undefined;

  constructor(socketPath: string, target: string, logger: Logger, signing?: MetadataSigning) {
    if (signing !== undefined && signing.secret === '') throw new Error('metadata relay: the shared secret is empty');
    this.socketPath = socketPath;
    this.#target = new URL(target);
    this.#log = logger;
    this.#signing = signing;
  }

  /** Listen (idempotent). */
  async start(): Promise<void> {
    if (this.#server !== undefined) return;
    rmSync(this.socketPath, { force: true });
    const server = createServer((req, res) => {
      void this.#headersFor(req.headers).then(
        (headers) => {
          if (headers === undefined) {
            req.resume();
            answer(res, 404, 'Not Found\n');
            return;
          }
          const up = request({ host: this.#target.hostname, port: this.#target.port, path: req.url, method: req.method, headers }, (r) => {
            res.writeHead(r.statusCode ?? 502, r.headers);
            r.pipe(res);
          });
          up.on('error', (err) => {
            this.#log.warn({ err: err.message }, 'metadata relay: nova metadata API unreachable');
            answer(res, 502, 'metadata service unavailable\n');
          });
          req.pipe(up);
        },
        (err: unknown) => {
          this.#log.warn({ err: (err as Error).message }, 'metadata relay: the instance lookup failed');
          req.resume();
          answer(res, 500, 'An unknown error has occurred. Please try your request again.\n');
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.socketPath, () => resolve());
    });
    this.#server = server;
  }

  /** The headers to send nova, or undefined when the request comes from no known server. */
  async #headersFor(incoming: IncomingHttpHeaders): Promise<Record<string, string | string[] | undefined> | undefined> {
    const headers: Record<string, string | string[] | undefined> = { ...incoming, host: this.#target.host };
    const signing = this.#signing;
    if (signing === undefined) return headers;
    const ip = single(incoming, 'x-forwarded-for');
    const networkId = single(incoming, 'x-neutron-network-id');
    const routerId = single(incoming, 'x-neutron-router-id');
    for (const h of IDENTITY_HEADERS) delete headers[h];
    if (ip === undefined || isIP(ip) === 0) return undefined;
    const id = networkId !== undefined ? { networkId } : routerId !== undefined ? { routerId } : undefined;
    if (id === undefined || !UUID.test(networkId ?? routerId ?? '')) return undefined;
    const found = await signing.resolve({ ...id, ip });
    if (found === null) return undefined;
    headers['x-forwarded-for'] = ip;
    headers['x-instance-id'] = found.instanceId;
    headers['x-tenant-id'] = found.tenantId;
    headers['x-instance-id-signature'] = createHmac('sha256', signing.secret).update(found.instanceId).digest('hex');
    return headers;
  }

  async close(): Promise<void> {
    const s = this.#server;
    this.#server = undefined;
    if (s === undefined) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
    rmSync(this.socketPath, { force: true });
  }
}
