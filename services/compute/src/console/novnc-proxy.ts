/**
 * The noVNC proxy (nova-novncproxy): a WebSocket endpoint (`/`, `/websockify`, `?token=`) that
 * checks a console token and relays binary frames to and from the server's VNC TCP address.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '@strata/log';
import type { ConsoleTokenStore } from './console-tokens.js';

/** What the proxy is built from. */
export interface NoVncProxyOptions {
  readonly tokens: ConsoleTokenStore;
  readonly logger: Logger;
  /** Give up connecting to the VNC server after this long. @default 10 s */
  readonly connectTimeoutMs?: number;
}

const PATHS = new Set(['/', '/websockify']);

function tokenOf(req: IncomingMessage): string | undefined {
  const url = new URL(req.url ?? '/', 'http://proxy');
  const direct = url.searchParams.get('token');
  if (direct !== null) return direct;
  // noVNC may pass the token inside `path` (vnc_auto.html?path=%3Ftoken%3D...), or as a cookie.
  const path = url.searchParams.get('path');
  if (path !== null) return new URLSearchParams(path.replace(/^[^?]*\?/, '')).get('token') ?? undefined;
  return /(?:^|;\s*)token=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
}

/** A running proxy. */
export class NoVncProxy {
  readonly #o: NoVncProxyOptions;
  readonly #http: Server;
  readonly #wss: WebSocketServer;
  readonly #log: Logger;

  constructor(o: NoVncProxyOptions) {
    this.#o = o;
    this.#log = o.logger.child({ component: 'nova-novncproxy' });
    // Plain HTTP: the noVNC page is the dashboard's; websocket paths say an upgrade is needed.
    this.#http = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://proxy').pathname;
      res.writeHead(PATHS.has(path) ? 426 : 404, { 'content-type': 'text/plain' });
      res.end('Strata noVNC proxy: open the websocket /websockify?token=<token> with a noVNC client.\n');
    });
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: 4 * 1024 * 1024,
      handleProtocols: (protocols) => (protocols.has('binary') ? 'binary' : false),
    });
    this.#http.on('upgrade', (req, socket, head) => {
      const path = new URL(req.url ?? '/', 'http://proxy').pathname;
      const grant = PATHS.has(path) ? this.#o.tokens.check(tokenOf(req)) : undefined;
      if (grant === undefined) {
        this.#log.warn({ path }, 'console connection refused: invalid or expired token');
        socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#relay(ws, grant.instanceId, grant.host, grant.port));
    });
  }

  #relay(ws: WebSocket, instanceId: string, host: string, port: number): void {
    const tcp = connect({ host, port, timeout: this.#o.connectTimeoutMs ?? 10_000 });
    const pending: Buffer[] = [];
    let open = false;
    this.#log.info({ instanceId, target: `${host}:${port}` }, 'console connection opened');
    tcp.once('connect', () => {
      tcp.setTimeout(0);
      open = true;
      for (const b of pending.splice(0)) tcp.write(b);
    });
    tcp.on('data', (d: Buffer) => {
      if (ws.readyState === ws.OPEN) ws.send(d, { binary: true });
    });
    tcp.on('timeout', () => tcp.destroy(new Error('VNC server did not answer')));
    tcp.on('error', (err) => {
      this.#log.warn({ err, instanceId }, 'console: VNC server connection failed');
      ws.close(1011, 'VNC server unreachable');
    });
    tcp.on('close', () => {
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(1000);
    });
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      if (open) tcp.write(buf);
      else pending.push(buf);
    });
    ws.on('close', () => {
      tcp.destroy();
      this.#log.info({ instanceId }, 'console connection closed');
    });
    ws.on('error', () => tcp.destroy());
  }

  /** Listen on host:port; resolves to the port. */
  async listen(host: string, port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#http.once('error', reject);
      this.#http.listen(port, host, () => {
        this.#http.off('error', reject);
        resolve();
      });
    });
    const addr = this.#http.address();
    return typeof addr === 'object' && addr !== null ? addr.port : port;
  }

  /** Close every console connection and stop listening. */
  async close(): Promise<void> {
    for (const ws of this.#wss.clients) ws.terminate();
    this.#wss.close();
    if (!this.#http.listening) return;
    await new Promise<void>((resolve) => this.#http.close(() => resolve()));
  }
}
