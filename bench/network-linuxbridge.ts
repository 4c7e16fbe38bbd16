/**
 * The linuxbridge backend on this host (root): time from `POST /v2.0/ports` (bound to the agent's
 * host, a `compute:nova` port → a persistent tap on the network's bridge, firewall rules, DHCP host
 * entry) to the port being ACTIVE — sequentially (median, p95), then for a burst of ports created
 * concurrently (median create→ACTIVE, and until all are ACTIVE). `--backend noop` gives the baseline.
 *
 *   node --import tsx bench/network-linuxbridge.ts [--sequential 20] [--ports 200] [--concurrency 16] [--backend linuxbridge|noop] [--log debug]
 *
 * With --log, the child's log is written to <tmpdir>/network-linuxbridge-bench.log (host commands with their times at debug).
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startStrataProcess } from '@strata/testing';
import { hostProblem, LinuxBridgeNetworkBackend } from '@strata/net-linuxbridge';
import { arg, median, pct, textArg } from './lib/stats.js';

const backend = textArg('backend', 'linuxbridge');
const sequential = arg('sequential', 20);
const burst = arg('ports', 200);
const concurrency = arg('concurrency', 16);

if (backend === 'linuxbridge') {
  const problem = hostProblem();
  if (problem !== undefined) {
    console.error(`cannot run: ${problem}`);
    process.exit(2);
  }
}
const dataDir = mkdtempSync(join(tmpdir(), 'strata-bench-lb-'));
const logLevel = textArg('log', 'warn');
const strata = await startStrataProcess({ dataDir, env: { OS_LOGGING__LEVEL: logLevel, OS_NETWORK__BACKEND: backend } });
try {
  const env = strata.adminEnv;
  const auth = await fetch(`${env.OS_AUTH_URL}/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: env.OS_USERNAME, password: env.OS_PASSWORD, domain: { id: 'default' } } } }, scope: { project: { name: env.OS_PROJECT_NAME, domain: { id: 'default' } } } } }),
  });
  const token = auth.headers.get('x-subject-token') as string;
  const body = (await auth.json()) as { token: { project: { id: string }; catalog: Array<{ type: string; endpoints: Array<{ interface: string; url: string }> }> } };
  const neutron = body.token.catalog.find((s) => s.type === 'network')!.endpoints.find((e) => e.interface === 'public')!.url;
  const call = async (method: string, path: string, payload?: unknown): Promise<any> => {
    const r = await fetch(`${neutron}/v2.0/${path}`, { method, headers: { 'x-auth-token': token, 'content-type': 'application/json' }, ...(payload !== undefined ? { body: JSON.stringify(payload) } : {}) });
    if (r.status >= 400) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
    return r.status === 204 ? undefined : r.json();
  };
  await call('PUT', `quotas/${body.token.project.id}`, { quota: { port: -1 } });
  let agent: any;
  for (let i = 0; i < 100 && agent === undefined; i++, await sleep(100)) agent = (await call('GET', 'agents')).agents.find((a: any) => a.agent_type === (backend === 'noop' ? 'Noop agent' : 'Linux bridge agent'));
  if (agent === undefined) throw new Error(`no ${backend} agent reported (fell back?)\n${strata.output().slice(-2000)}`);
  const host = agent.host as string;
  const net = (await call('POST', 'networks', { network: { name: 'bench-lb' } })).network;
  await call('POST', 'subnets', { subnet: { network_id: net.id, cidr: '10.130.0.0/22', ip_version: 4 } });
  const create = async (i: number): Promise<string> => (await call('POST', 'ports', { port: { network_id: net.id, device_id: `bench-${i}`, device_owner: 'compute:nova', 'binding:host_id': host } })).port.id;

  const seq: number[] = [];
  for (let i = 0; i < sequential; i++) {
    const t0 = performance.now();
    const id = await create(i);
    while ((await call('GET', `ports/${id}?fields=status`)).port.status !== 'ACTIVE') await sleep(5);
    seq.push(performance.now() - t0);
  }

  const createdAt = new Map<string, number>();
  const activeAt = new Map<string, number>();
  const t0 = performance.now();
  let next = 0;
  let creating = true;
  const poller = (async () => {
    while (creating || activeAt.size < createdAt.size) {
      const ports = (await call('GET', `ports?network_id=${net.id}&device_owner=compute:nova&fields=id&fields=status`)).ports as Array<{ id: string; status: string }>;
      const now = performance.now();
      for (const p of ports) if (p.status === 'ACTIVE' && createdAt.has(p.id) && !activeAt.has(p.id)) activeAt.set(p.id, now);
      if (now - t0 > 300_000) throw new Error(`only ${activeAt.size}/${createdAt.size} ports ACTIVE after 5 minutes`);
      await sleep(20);
    }
  })();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < burst; i = next++) {
        const started = performance.now();
        createdAt.set(await create(sequential + i), started);
      }
    }),
  );
  creating = false;
  await poller;
  const all = performance.now() - t0;
  const lat = [...activeAt].map(([id, at]) => at - (createdAt.get(id) as number));
  console.log(`backend ${backend}, host ${host}`);
  console.log(`port create → ACTIVE, ${sequential} sequential: median ${median(seq).toFixed(1)} ms, p95 ${pct(seq, 0.95).toFixed(1)} ms`);
  console.log(`${burst} ports, concurrency ${concurrency}: create → ACTIVE median ${median(lat).toFixed(0)} ms, p95 ${pct(lat, 0.95).toFixed(0)} ms; all ACTIVE after ${(all / 1000).toFixed(1)} s (${(burst / (all / 1000)).toFixed(1)} ports/s)`);
} finally {
  await strata.stop();
  if (logLevel !== 'warn' && existsSync(join(dataDir, 'strata.log'))) copyFileSync(join(dataDir, 'strata.log'), join(tmpdir(), 'network-linuxbridge-bench.log'));
  // Remove every device, namespace, dnsmasq and nft table the backend made (it tracks them in its state dir).
  const stateDir = join(dataDir, 'linuxbridge');
  if (backend === 'linuxbridge' && existsSync(join(stateDir, 'owned.json'))) {
    const b = await LinuxBridgeNetworkBackend.create({ stateDir });
    await b.teardown();
    await b.close();
  }
  rmSync(dataDir, { recursive: true, force: true });
}
