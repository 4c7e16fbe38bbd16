/**
 * A burst against nova in the all-in-one (`strata up` as its own process, fake driver, SQLite):
 * N concurrent POST /v2.1/servers (m1.tiny, `networks: none`) while G clients loop on GETs, then every
 * server polled until it settles. Prints each request kind's status codes and latency, and the messages
 * of any 5xx, so a burst that turns into 503s (e.g. "The identity service is not available.") shows.
 * A new token is used so the services' token caches start cold, as for a client that just logged in.
 *
 *   node --import tsx bench/compute-burst.ts [--burst 1000] [--getters 50] [--fake-hosts 4] [--warm] [--server-errors]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { IdentityClient, endpointFor, requestJson } from '@strata/clients';
import { startStrataProcess } from '@strata/testing';
import { arg, median, pct } from './lib/stats.js';

/** Status counts, latencies and 5xx messages of one kind of request. */
class Tally {
  readonly statuses = new Map<string, number>();
  readonly ms: number[] = [];
  readonly errors = new Map<string, number>();

  add(status: string, ms: number, error?: string): void {
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
    this.ms.push(ms);
    if (error !== undefined) this.errors.set(error, (this.errors.get(error) ?? 0) + 1);
  }

  count(status: string): number {
    return this.statuses.get(status) ?? 0;
  }

  line(name: string): string {
    const codes = [...this.statuses].sort(([a], [b]) => a.localeCompare(b)).map(([s, n]) => `${s}×${n}`).join(' ');
    return `${name.padEnd(22)} ${String(this.ms.length).padStart(6)} requests  ${codes.padEnd(28)} median ${median(this.ms).toFixed(0).padStart(6)} ms  p95 ${pct(this.ms, 0.95).toFixed(0).padStart(6)} ms`;
  }
}

/** Send one request, recording its status (or the client-side error) and latency; the parsed body when 2xx. */
async function send<T>(tally: Tally, url: string, init: { method?: string; headers: Record<string, string>; body?: unknown }): Promise<T | undefined> {
  const t0 = performance.now();
  try {
    const res = await fetch(url, { method: init.method ?? 'GET', headers: { ...init.headers, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}), signal: AbortSignal.timeout(300_000) });
    const text = await res.text();
    const ms = performance.now() - t0;
    if (res.status >= 500) {
      const first = Object.values(JSON.parse(text || '{}') as Record<string, { message?: string }>)[0];
      tally.add(String(res.status), ms, `${res.status} ${first?.message ?? text.slice(0, 120)}`);
      return undefined;
    }
    tally.add(String(res.status), ms);
    return res.status < 300 ? (JSON.parse(text) as T) : undefined;
  } catch (err) {
    tally.add('client-error', performance.now() - t0, `client: ${(err as Error).message}`);
    return undefined;
  }
}

const burst = arg('burst', 1000);
const getters = arg('getters', 50);
const fakeHosts = arg('fake-hosts', 4);

const strata = await startStrataProcess({
  env: {
    OS_COMPUTE__DRIVER: 'fake',
    OS_COMPUTE__FAKE_HOSTS: String(fakeHosts),
    OS_COMPUTE__FAKE_MEMORY_MB: '100000000',
    OS_COMPUTE__FAKE_VCPUS: '1000000',
    OS_COMPUTE__FAKE_LOCAL_GB: '100000000',
    OS_LOGGING__LEVEL: 'warn',
  },
  timeoutMs: 120_000,
});
try {
  const e = strata.adminEnv;
  const identity = new IdentityClient(String(e.OS_AUTH_URL));
  const admin = { username: String(e.OS_USERNAME), password: String(e.OS_PASSWORD), projectName: String(e.OS_PROJECT_NAME) };
  const setup = await identity.authenticate(admin);
  const base = String(endpointFor(setup.body, 'compute')).replace(/\/$/, '');
  const projectId = setup.body.project?.id ?? '';
  const setupHeaders = { 'x-auth-token': setup.id, 'openstack-api-version': 'compute 2.37' };
  // The default quotas (10 servers) would turn the burst into 403s: lift them for the admin project.
  await requestJson(`${base}/os-quota-sets/${projectId}`, { method: 'PUT', headers: setupHeaders, body: { quota_set: { instances: -1, cores: -1, ram: -1 } } });
  const imageUrl = String(endpointFor(setup.body, 'image')).replace(/\/$/, '');
  const img = await requestJson<{ id: string }>(`${imageUrl}/v2/images`, { method: 'POST', headers: setupHeaders, body: { name: 'burst', disk_format: 'raw', container_format: 'bare' } });
  await fetch(`${imageUrl}/v2/images/${img.body.id}/file`, { method: 'PUT', headers: { ...setupHeaders, 'content-type': 'application/octet-stream' }, body: Buffer.alloc(4096) });

  // A token the services have not seen: every service validates it for the first time inside the burst.
  const token = (await identity.authenticate(admin, { nocatalog: true })).id;
  const h = { 'x-auth-token': token, 'openstack-api-version': 'compute 2.37' };
  const creates = new Tally();
  const gets = new Tally();
  const polls = new Tally();
  const ids: string[] = [];

  // --warm: one server first, so the token, the catalog and glance are already cached when the burst starts
  // (their cache entries then run out during a long burst instead of at its start).
  if (process.argv.includes('--warm')) {
    const warm = new Tally();
    const s = await send<{ server: { id: string } }>(warm, `${base}/servers`, { method: 'POST', headers: h, body: { server: { name: 'warm', imageRef: img.body.id, flavorRef: '1', networks: 'none' } } });
    if (s === undefined) throw new Error(`warm-up create failed: ${[...warm.errors.keys()].join(', ')}`);
  }

  let bursting = true;
  const t0 = performance.now();
  const getLoops = Array.from({ length: getters }, async (_, n) => {
    const paths = ['/servers?limit=10', '/flavors/detail', `/os-quota-sets/${projectId}`, '/limits'];
    for (let i = n; bursting; i++) await send(gets, `${base}${paths[i % paths.length]}`, { headers: h });
  });
  await Promise.all(
    Array.from({ length: burst }, async (_, n) => {
      const body = await send<{ server: { id: string } }>(creates, `${base}/servers`, { method: 'POST', headers: h, body: { server: { name: `burst-${n}`, imageRef: img.body.id, flavorRef: '1', networks: 'none' } } });
      if (body !== undefined) ids.push(body.server.id);
    }),
  );
  const burstSeconds = (performance.now() - t0) / 1000;
  bursting = false;
  await Promise.all(getLoops);

  // Poll every created server until it is ACTIVE or ERROR (what a client does after a 202).
  const settled = new Map<string, string>();
  const t1 = performance.now();
  await Promise.all(
    ids.map(async (id) => {
      for (let tries = 0; tries < 600; tries++) {
        const s = await send<{ server: { status: string } }>(polls, `${base}/servers/${id}`, { headers: h });
        const status = s?.server.status;
        if (status === 'ACTIVE' || status === 'ERROR') return void settled.set(id, status);
        await sleep(500);
      }
    }),
  );
  const settleSeconds = (performance.now() - t1) / 1000;

  console.log(`burst of ${burst} POST /servers with ${getters} concurrent GET loops (${fakeHosts + 1} fake hosts): ${burstSeconds.toFixed(1)} s; then ${settleSeconds.toFixed(1)} s until settled`);
  console.log(creates.line('POST /servers'));
  console.log(gets.line('GET (concurrent)'));
  console.log(polls.line('GET /servers/{id}'));
  const states = new Map<string, number>();
  for (const s of settled.values()) states.set(s, (states.get(s) ?? 0) + 1);
  console.log(`servers: ${ids.length} accepted, ${states.get('ACTIVE') ?? 0} ACTIVE, ${states.get('ERROR') ?? 0} ERROR, ${ids.length - settled.size} unsettled`);
  const all = [creates, gets, polls];
  console.log(`503s in total: ${all.reduce((n, t) => n + t.count('503'), 0)}`);
  const errors = new Map<string, number>();
  for (const t of all) for (const [e, n] of t.errors) errors.set(e, (errors.get(e) ?? 0) + n);
  for (const [e, n] of [...errors].sort((a, b) => b[1] - a[1]).slice(0, 10)) console.log(`  ${String(n).padStart(6)}× ${e}`);
  if (process.argv.includes('--server-errors')) {
    // What the services logged at error level, grouped, to see which internal call failed first.
    const logged = new Map<string, number>();
    for (const line of readFileSync(join(strata.dataDir, 'strata.log'), 'utf8').split('\n')) {
      if (!line.startsWith('{')) continue;
      const rec = JSON.parse(line) as { level?: number; service?: string; msg?: string; url?: string; err?: { message?: string } };
      if ((rec.level ?? 0) < 50) continue;
      const key = `${rec.service ?? '?'}: ${rec.msg ?? ''} ${rec.err?.message?.replace(/[0-9a-f-]{36}|:\d{4,5}/g, '…') ?? rec.url?.replace(/[0-9a-f-]{36}/g, '…') ?? ''}`;
      logged.set(key, (logged.get(key) ?? 0) + 1);
    }
    for (const [e, n] of [...logged].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  server log ${String(n).padStart(6)}× ${e}`);
  }
} finally {
  await strata.stop();
}
