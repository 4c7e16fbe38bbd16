/**
 * Remote consoles (nova's remote_consoles API): `POST /servers/{id}/remote-consoles` (2.6+) and
 * the legacy `os-getVNCConsole` action. nova-compute tells where the guest's VNC server listens;
 * the answer is a noVNC URL carrying a fresh token for the proxy.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { contextOf } from '@strata/auth';
import { BadRequest, Conflict, NotFound } from '@strata/errors';
import type { ComputeApi } from '../compute-api.js';
import type { ComputeRpcClient } from '../agent/compute-rpc.js';
import type { Instance } from '../objects/instance.js';
import { invalid, onlyKeys, versionOf } from '../api/route-helpers.js';
import { ConsoleTokenStore } from './console-tokens.js';

const PROTOCOLS = ['vnc', 'spice', 'rdp', 'serial', 'mks'] as const;
const TYPES = ['novnc', 'xvpvnc', 'spice-html5', 'rdp-html5', 'serial', 'webmks'] as const;

/** Issues console URLs; shared by the API routes and the proxy. */
export class ConsoleService {
  readonly tokens: ConsoleTokenStore;
  readonly #compute: ComputeRpcClient;
  readonly #api: ComputeApi;
  #baseUrl: string | undefined;

  constructor(o: { api: ComputeApi; compute: ComputeRpcClient; tokens?: ConsoleTokenStore }) {
    this.#api = o.api;
    this.#compute = o.compute;
    this.tokens = o.tokens ?? new ConsoleTokenStore();
  }

  /** Where browsers reach the noVNC proxy (http://host:port); set once it listens. */
  setProxyBaseUrl(url: string): void {
    this.#baseUrl = url.replace(/\/+$/, '');
  }

  /** A noVNC URL for the server's console; 400 ConsoleTypeUnavailable when its driver has none, 409 when not running. */
  async vncUrl(request: FastifyRequest, i: Instance): Promise<string> {
    const ctx = contextOf(request);
    ctx.authorize('os_compute_api:os-remote-consoles', { projectId: i.projectId });
    if (this.#baseUrl === undefined) throw new BadRequest('Unavailable console type vnc.', {}, 'ConsoleTypeUnavailable');
    if (i.host === null || i.vmState !== 'active' || i.taskState !== null) throw new Conflict(`Instance ${i.id} is not ready.`, { instanceId: i.id }, 'InstanceNotReady');
    const addr = await this.#compute.getVncConsole(this.#api.rpcContext(ctx), i.host, { instanceId: i.id });
    const token = this.tokens.issue({ instanceId: i.id, host: addr.host, port: addr.port });
    return `${this.#baseUrl}/vnc_auto.html?path=${encodeURIComponent(`?token=${token}`)}`;
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The console service (remote-consoles, os-getVNCConsole). */
    consoles: ConsoleService;
  }
}

function checkProtocol(protocol: unknown, type: unknown): void {
  if (typeof protocol !== 'string' || !(PROTOCOLS as readonly string[]).includes(protocol)) throw invalid('protocol', `${JSON.stringify(protocol)} is not one of ${JSON.stringify(PROTOCOLS)}`);
  if (typeof type !== 'string' || !(TYPES as readonly string[]).includes(type)) throw invalid('type', `${JSON.stringify(type)} is not one of ${JSON.stringify(TYPES)}`);
  if (protocol !== 'vnc') throw new BadRequest(`Unavailable console type ${protocol}.`, {}, 'ConsoleTypeUnavailable');
  if (type !== 'novnc') throw new BadRequest(`Unavailable console type ${type}.`, {}, 'ConsoleTypeUnavailable');
}

/** The legacy `os-getVNCConsole` action (2.1–2.5): `{"console": {"type", "url"}}`. */
export async function legacyVncConsole(request: FastifyRequest, i: Instance, arg: unknown): Promise<{ console: { type: string; url: string } }> {
  if (versionOf(request).atLeast('2.6')) throw new NotFound('The resource could not be found.', {}, 'VersionNotFoundForAPIMethod');
  const body = (arg ?? {}) as Record<string, unknown>;
  if (typeof body !== 'object' || Array.isArray(body)) throw invalid('os-getVNCConsole', `${JSON.stringify(arg)} is not of type 'object'`);
  onlyKeys(body, ['type'], 'os-getVNCConsole');
  if (body.type !== 'novnc' && body.type !== 'xvpvnc') throw invalid('type', `${JSON.stringify(body.type)} is not one of ['novnc', 'xvpvnc']`);
  if (body.type !== 'novnc') throw new BadRequest(`Unavailable console type ${String(body.type)}.`, {}, 'ConsoleTypeUnavailable');
  return { console: { type: 'novnc', url: await request.server.consoles.vncUrl(request, i) } };
}

/** Register `POST /v2.1/servers/{id}/remote-consoles` and decorate the app with the console service. */
export function registerRemoteConsoleRoutes(app: FastifyInstance, api: ComputeApi, consoles: ConsoleService): void {
  app.decorate('consoles', consoles);
  app.post('/v2.1/servers/:id/remote-consoles', async (request) => {
    const ctx = contextOf(request);
    if (!versionOf(request).atLeast('2.6')) {
      ctx.authorize('os_compute_api:os-remote-consoles', {});
      throw new NotFound('The resource could not be found.', {}, 'NotFound');
    }
    const b = request.body as Record<string, unknown> | undefined;
    const rc = b?.remote_console;
    if (rc === undefined || rc === null || typeof rc !== 'object' || Array.isArray(rc)) throw invalid('remote_console', "'remote_console' is a required property");
    const r = rc as Record<string, unknown>;
    onlyKeys(r, ['protocol', 'type'], 'remote_console');
    const i = await api.getServer(ctx, (request.params as { id: string }).id);
    ctx.authorize('os_compute_api:os-remote-consoles', { projectId: i.projectId });
    checkProtocol(r.protocol, r.type);
    return { remote_console: { protocol: 'vnc', type: 'novnc', url: await consoles.vncUrl(request, i) } };
  });
}
