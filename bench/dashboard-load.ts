/**
 * Dashboard page load with 1,000 instances in the project: `strata up` (fake driver) as a child,
 * 1,000 servers booted over the API (`networks: none`), then headless chromium (Debian's, via
 * playwright-core) times loading /instances until its first page of rows is drawn, and /overview
 * until its charts are drawn. Prints the first (cold) load and the median of the warm ones;
 * the target is < 1 s.
 *
 *   node --import tsx bench/dashboard-load.ts [--servers 1000] [--rounds 7]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';
import { startStrataProcess } from '@strata/testing';
import { arg, median } from './lib/stats.js';

const total = arg('servers', 1000);
const rounds = arg('rounds', 7);
const strata = await startStrataProcess({
  timeoutMs: 120_000,
  env: { OS_LOGGING__LEVEL: 'warn', OS_COMPUTE__QUOTA_INSTANCES: '-1', OS_COMPUTE__QUOTA_CORES: '-1', OS_COMPUTE__QUOTA_RAM: '-1', OS_COMPUTE__FAKE_MEMORY_MB: '100000000', OS_COMPUTE__FAKE_VCPUS: '1000000', OS_COMPUTE__FAKE_LOCAL_GB: '100000000' },
});
const userDir = mkdtempSync(join(tmpdir(), 'strata-chromium-'));
try {
  for (let i = 0; !/dashboard\s+http/.test(strata.output()) && i < 100; i++) await sleep(100);
  const base = /dashboard\s+(http:\/\/\S+)/.exec(strata.output())?.[1];
  if (base === undefined) throw new Error('no dashboard URL in the output of strata up');
  while ((await fetch(`${base}/`)).status !== 200) await sleep(500);
  const env = strata.adminEnv;
  const auth = await fetch(`${env.OS_AUTH_URL}/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: env.OS_USERNAME, domain: { name: 'Default' }, password: env.OS_PASSWORD } } }, scope: { project: { name: env.OS_PROJECT_NAME, domain: { name: 'Default' } } } } }),
  });
  const token = auth.headers.get('x-subject-token') ?? '';
  const catalog = ((await auth.json()) as { token: { catalog: Array<{ type: string; endpoints: Array<{ interface: string; url: string }> }> } }).token.catalog;
  const ep = (type: string): string => catalog.find((s) => s.type === type)?.endpoints.find((e) => e.interface === 'public')?.url ?? '';
  const h = { 'x-auth-token': token, 'content-type': 'application/json', 'openstack-api-version': 'compute 2.60' };
  const img = (await (await fetch(`${ep('image')}/v2/images`, { method: 'POST', headers: h, body: JSON.stringify({ name: 'bench', disk_format: 'raw', container_format: 'bare' }) })).json()) as { id: string };
  await fetch(`${ep('image')}/v2/images/${img.id}/file`, { method: 'PUT', headers: { ...h, 'content-type': 'application/octet-stream' }, body: Buffer.alloc(4096) });

  // In batches, each built before the next is asked for: the fake host builds them all at once otherwise.
  const settled = async (): Promise<void> => {
    for (;;) {
      const res = await fetch(`${ep('compute')}/servers?status=BUILD&limit=1`, { headers: h }).catch(() => undefined);
      const r = res?.ok === true ? ((await res.json()) as { servers: unknown[] }) : undefined;
      if (r !== undefined && r.servers.length === 0) return;
      await sleep(200);
    }
  };
  const t0 = performance.now();
  const batch = 50;
  for (let start = 0; start < total; start += batch) {
    const n = Math.min(batch, total - start);
    const r = await fetch(`${ep('compute')}/servers`, { method: 'POST', headers: h, body: JSON.stringify({ server: { name: `load-${start}`, imageRef: img.id, flavorRef: '1', networks: 'none', min_count: n, max_count: n } }) });
    if (r.status !== 202) throw new Error(`create: ${r.status} ${await r.text()}`);
    await settled();
  }
  const count = ((await (await fetch(`${ep('compute')}/servers?limit=100000`, { headers: h })).json()) as { servers: unknown[] }).servers.length;
  console.log(`${count} servers in the project, booted in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const ctx = await chromium.launchPersistentContext(userDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  await page.goto(`${base}/instances`);
  await page.locator('input[name=username]').fill(env.OS_USERNAME ?? 'admin');
  await page.getByLabel('Password', { exact: true }).fill(env.OS_PASSWORD ?? '');
  await page.getByTestId('login-submit').click();
  await page.getByTestId('instance-row').nth(19).waitFor({ timeout: 30_000 });

  const time = async (path: string, ready: () => Promise<void>): Promise<number[]> => {
    const out: number[] = [];
    for (let i = 0; i < rounds; i++) {
      await page.goto('about:blank');
      const s = performance.now();
      await page.goto(`${base}${path}`);
      await ready();
      out.push(performance.now() - s);
    }
    return out;
  };
  const instances = await time('/instances', () => page.getByTestId('instance-row').nth(19).waitFor({ timeout: 30_000 }));
  const overview = await time('/overview', () => page.getByTestId('quota-chart').nth(6).waitFor({ timeout: 30_000 }));
  const nextPage = [] as number[];
  for (let i = 0; i < rounds; i++) {
    await page.goto(`${base}/instances`);
    await page.getByTestId('instance-row').nth(19).waitFor();
    const first = await page.getByTestId('instance-row').first().getAttribute('data-name');
    const s = performance.now();
    await page.getByTestId('next-page').click();
    await page.getByTestId('page-info').filter({ hasText: /^Page 2/ }).waitFor();
    while ((await page.getByTestId('instance-row').first().getAttribute('data-name')) === first) await sleep(5);
    nextPage.push(performance.now() - s);
  }
  await ctx.close();
  // The API call behind the first page, through the dashboard's proxy.
  const api: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const s = performance.now();
    await (await fetch(`${base}/api/compute/v2.1/servers/detail?limit=20`, { headers: h })).json();
    api.push(performance.now() - s);
  }
  const fmt = (xs: number[]): string => `first ${xs[0]!.toFixed(0)} ms, median ${median(xs).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms`;
  console.log(`| page (${count} instances) | load until drawn |`);
  console.log('|---|---|');
  console.log(`| /instances (first page of 20 rows) | ${fmt(instances)} |`);
  console.log(`| /instances → Next page | ${fmt(nextPage)} |`);
  console.log(`| /overview (7 charts) | ${fmt(overview)} |`);
  console.log(`| (API) GET /servers/detail?limit=20 via the proxy | ${fmt(api)} |`);
  const worst = Math.max(median(instances), median(overview), median(nextPage));
  console.log(worst < 1000 ? 'OK: every page loads in under 1 s' : `SLOW: a page took ${worst.toFixed(0)} ms (target < 1 s)`);
  if (worst >= 1000) process.exitCode = 1;
} finally {
  rmSync(userDir, { recursive: true, force: true });
  await strata.stop();
}
