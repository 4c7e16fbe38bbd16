/** Test support: a neutron-server (and optionally an agent with the noop backend) against a real keystone, driven with app.inject. */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from 'rabbitmq-client';
import { silentLogger } from '@strata/log';
import { requestJson } from '@strata/clients';
import { createTransport, type RuntimeTransport } from '@strata/rpc';
import { Tracer } from '@strata/trace';
import { NoopNetworkBackend, type NoopNetworkBackendOptions } from '@strata/net-fake';
import type { TestCloud } from '@strata/testing';
import { NetworkService } from './network-service.js';
import { NetworkAgent } from './agent/network-agent.js';
import type { PluginSettings } from './plugin-settings.js';

/** A response of `call`. */
export interface Reply {
  readonly status: number;
  readonly body: any;
  readonly headers: Record<string, unknown>;
}

/** A project-scoped caller. */
export interface Caller {
  readonly token: string;
  readonly projectId: string;
  readonly userId: string;
}

/** Options of `startNetwork`. */
export interface HarnessOptions {
  readonly databaseUrl: string;
  /** @default a private memory:// broker */
  readonly transportUrl?: string;
  /** Start an agent for `host` with the noop backend. @default true */
  readonly agent?: boolean;
  readonly host?: string;
  readonly settings?: Partial<PluginSettings>;
  readonly reportIntervalMs?: number;
  /** Options of the agent's noop backend. */
  readonly backendOptions?: NoopNetworkBackendOptions;
}

/** A server (and agent) under test. */
export interface NetHarness {
  readonly service: NetworkService;
  readonly agent: NetworkAgent | undefined;
  readonly backend: NoopNetworkBackend;
  readonly tracer: Tracer;
  readonly host: string;
  readonly transport: RuntimeTransport;
  /** Send a request through app.inject. */
  call(method: string, url: string, opts?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<Reply>;
  /** Start (and resync) one more agent, for another host, on the same bus; closed with the harness. */
  startAgent(host: string, backend: NoopNetworkBackend): Promise<NetworkAgent>;
  /** Poll `fn` until it returns true (or fail after `ms`). */
  until(fn: () => Promise<boolean>, ms?: number, what?: string): Promise<void>;
  close(): Promise<void>;
}

const RUN = randomBytes(3).toString('hex');
let seq = 0;

/** Start a neutron-server on `tc`'s keystone, with an agent unless told otherwise. */
export async function startNetwork(tc: TestCloud, opts: HarnessOptions): Promise<NetHarness> {
  const n = ++seq;
  const tracer = new Tracer();
  const host = opts.host ?? `nethost-${RUN}-${n}`;
  const topicPrefix = `strata_test_${RUN}_${n}_`;
  const transport = await createTransport(opts.transportUrl ?? `memory://network-test-${RUN}-${n}`);
  const service = await NetworkService.create({ databaseUrl: opts.databaseUrl, authUrl: tc.authUrl, logger: silentLogger(), tracer, transport, topicPrefix, host: `server-${n}`, settings: opts.settings ?? {}, requireEnforcement: true, tokenCacheTtlMs: 60_000 });
  const backend = new NoopNetworkBackend(opts.backendOptions);
  const extra: NetworkAgent[] = [];
  const startAgent = async (agentHost: string, agentBackend: NoopNetworkBackend): Promise<NetworkAgent> => {
    const a = await NetworkAgent.create({ host: agentHost, transport, backend: agentBackend, logger: silentLogger(), tracer, topicPrefix, reportIntervalMs: opts.reportIntervalMs ?? 30_000, rpcTimeoutMs: 10_000 });
    await a.start();
    await a.synced();
    return a;
  };
  let agent: NetworkAgent | undefined;
  if (opts.agent !== false) agent = await startAgent(host, backend);
  const call = async (method: string, url: string, o: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Reply> => {
    const res = await service.app.inject({
      method: method as never,
      url,
      headers: { ...(o.token !== undefined ? { 'x-auth-token': o.token } : {}), ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}), ...(o.headers ?? {}) },
      ...(o.body !== undefined ? { payload: JSON.stringify(o.body) } : {}),
    });
    return { status: res.statusCode, body: res.body === '' ? undefined : JSON.parse(res.body), headers: res.headers };
  };
  const until = async (fn: () => Promise<boolean>, ms = 5000, what = 'condition'): Promise<void> => {
    const deadline = Date.now() + ms;
    while (!(await fn())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(20);
    }
  };
  return {
    service,
    agent,
    backend,
    tracer,
    host,
    transport,
    call,
    until,
    startAgent: async (agentHost, agentBackend) => {
      const a = await startAgent(agentHost, agentBackend);
      extra.push(a);
      return a;
    },
    close: async () => {
      for (const a of extra) await a.close();
      await agent?.close();
      await service.close();
      await transport.close();
      if (opts.transportUrl?.startsWith('rabbit:') === true) {
        // Durable topic queues outlive the test; remove this run's.
        const admin = new Connection(opts.transportUrl.replace(/^rabbit:/, 'amqp:').replace(/\/$/, ''));
        for (const q of [`${topicPrefix}q-plugin`, `${topicPrefix}q-plugin.server-${n}`, `${topicPrefix}neutron-agent`, ...[host, ...extra.map((a) => a.host)].map((h) => `${topicPrefix}neutron-agent.${h}`)]) await admin.queueDelete({ queue: q }).catch(() => undefined);
        await admin.close();
      }
    },
  };
}

/** A new project with a user holding `role` on it, and that user's project token. */
export async function newCaller(tc: TestCloud, name: string, role = 'member'): Promise<Caller> {
  const h = { 'x-auth-token': await tc.adminToken() };
  const suffix = randomBytes(3).toString('hex');
  const p = await requestJson<{ project: { id: string } }>(`${tc.authUrl}/projects`, { method: 'POST', headers: h, body: { project: { name: `${name}-${suffix}` } } });
  const u = await requestJson<{ user: { id: string } }>(`${tc.authUrl}/users`, { method: 'POST', headers: h, body: { user: { name: `${name}-${suffix}`, password: 'pw-net-test' } } });
  const roles = await requestJson<{ roles: Array<{ id: string }> }>(`${tc.authUrl}/roles?name=${role}`, { headers: h });
  await requestJson(`${tc.authUrl}/projects/${p.body.project.id}/users/${u.body.user.id}/roles/${roles.body.roles[0]?.id}`, { method: 'PUT', headers: h });
  const token = (await tc.identity.authenticate({ username: `${name}-${suffix}`, password: 'pw-net-test', projectName: `${name}-${suffix}` }, { nocatalog: true })).id;
  return { token, projectId: p.body.project.id, userId: u.body.user.id };
}
