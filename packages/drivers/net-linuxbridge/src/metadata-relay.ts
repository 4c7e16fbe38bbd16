/** The host side of the metadata path: a unix socket the in-namespace proxies forward to, relayed to nova's metadata API. */
import { createServer, request, type Server } from 'node:http';
import { rmSync } from 'node:fs';
import type { Logger } from '@strata/log';

/** Relays HTTP requests arriving on a unix socket to `target` (http://host:port), headers kept. */
export class MetadataRelay {
  readonly socketPath: string;
  readonly #target: URL;
  readonly #log: Logger;
  #server: Server | undefined;

  constructor(socketPath: string, target: string, logger: Logger) {
    this.socketPath = socketPath;
    this.#target = new URL(target);
    this.#log = logger;
  }

  /** Listen (idempotent). */
  async start(): Promise<void> {
    if (this.#server !== undefined) return;
    rmSync(this.socketPath, { force: true });
    const server = createServer((req, res) => {
      const up = request({ host: this.#target.hostname, port: this.#target.port, path: req.url, method: req.method, headers: { ...req.headers, host: this.#target.host } }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', (err) => {
        this.#log.warn({ err: err.message }, 'metadata relay: nova metadata API unreachable');
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('metadata service unavailable\n');
      });
      req.pipe(up);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.socketPath, () => resolve());
    });
    this.#server = server;
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
