/**
 * neutron in the all-in-one (`strata up` as its own process): port create throughput while filling a
 * network to 10,000 ports, then `GET /v2.0/ports` latency with them all there (the full list, one
 * page, a device_id filter). Medians of several runs, printed as a table.
 *
 *   node --import tsx bench/network-ports.ts [--ports 10000] [--concurrency 16] [--runs 5]
 */
import { startStrataProcess } from '@strata/testing';
import { arg, median } from './lib/stats.js';

const total = arg('ports', 10_000);
const concurrency = arg('concurrency', 16);
const runs = arg('runs', 5);

const strata = await startStrataProcess({ env: { OS_LOGGING__LEVEL: 'warn' } });
try {
  const env = strata.adminEnv;
  const authUrl = env.OS_AUTH_URL as string;
  const auth = await fetch(`${authUrl}/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: env.OS_USERNAME, password: env.OS_PASSWORD, domain: { id: 'default' } } } }, scope: { project: { name: env.OS_PROJECT_NAME, domain: { id: 'default' } } } } }),
  });
  const token = auth.headers.get('x-subject-token') as string;
  const body = (await auth.json()) as { token: { project: { id: string }; catalog: Array<{ type: string; endpoints: Array<{ interface: string; url: string }> }> } };
  const neutron = body.token.catalog.find((s) => s.type === 'network')!.endpoints.find((e) => e.interface === 'public')!.url;
  const h = { 'x-auth-token': token, 'content-type': 'application/json' };
  const call = async (method: string, path: string, payload?: unknown): Promise<any> => {
    const r = await fetch(`${neutron}/v2.0/${path}`, { method, headers: h, ...(payload !== undefined ? { body: JSON.stringify(payload) } : {}) });
    if (r.status >= 400) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
    return r.status === 204 ? undefined : r.json();
  };
  await call('PUT', `quotas/${body.token.project.id}`, { quota: { port: -1 } });
  const net = (await call('POST', 'networks', { network: { name: 'bench' } })).network;
  await call('POST', 'subnets', { subnet: { network_id: net.id, cidr: '10.128.0.0/16', ip_version: 4, enable_dhcp: false } });

  // Fill the network in batches; each batch's rate is one sample.
  const batch = Math.max(concurrency, Math.floor(total / 20));
  const rates: number[] = [];
  let made = 0;
  while (made < total) {
    const n = Math.min(batch, total - made);
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let i = next++; i < n; i = next++) await call('POST', 'ports', { port: { network_id: net.id, device_id: `bench-${made + i}`, device_owner: 'compute:nova' } });
      }),
    );
    rates.push(n / ((performance.now() - started) / 1000));
    made += n;
  }

  const time = async (path: string): Promise<{ ms: number; count: number }> => {
    const started = performance.now();
    const r = await call('GET', path);
    return { ms: performance.now() - started, count: (r.ports as unknown[]).length };
  };
  const scenarios: Array<[string, string]> = [
    [`GET /v2.0/ports (all ${total})`, 'ports'],
    ['GET /v2.0/ports?network_id=…&limit=100', `ports?network_id=${net.id}&limit=100`],
    ['GET /v2.0/ports?device_id=…', `ports?device_id=bench-${Math.floor(total / 2)}`],
    ['GET /v2.0/ports?fixed_ips=ip_address=…', 'ports?fixed_ips=ip_address%3D10.128.10.10'],
  ];
  const rows: string[][] = [['scenario', 'result (median)', 'samples']];
  rows.push([`port create, concurrency ${concurrency}`, `${median(rates).toFixed(0)} ports/s`, String(rates.length)]);
  for (const [name, path] of scenarios) {
    await time(path);
    const samples: number[] = [];
    let count = 0;
    for (let i = 0; i < runs; i++) {
      const r = await time(path);
      samples.push(r.ms);
      count = r.count;
    }
    rows.push([name, `${median(samples).toFixed(1)} ms (${count} ports)`, String(runs)]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) process.stdout.write(`${r.map((x, c) => x.padEnd(widths[c]!)).join('  ')}\n`);
} finally {
  await strata.stop();
}
