/**
 * Volume create → available latency of cinder in the all-in-one (`strata up` as its own process):
 * sequential creates (median and p90), then 50 concurrent creates (time until all are available).
 * The backend is the one `strata up` picks (file where qemu-img is installed, else fake).
 *
 *   node --import tsx bench/volume-create.ts [--sequential 20] [--concurrent 50] [--rounds 3] [--fake]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { startStrataProcess } from '@strata/testing';
import { arg, median, pct } from './lib/stats.js';

const sequential = arg('sequential', 20);
const concurrent = arg('concurrent', 50);
const rounds = arg('rounds', 3);
const fake = process.argv.includes('--fake');

const strata = await startStrataProcess({ env: { OS_LOGGING__LEVEL: 'warn', OS_BLOCK_STORAGE__QUOTA_VOLUMES: '-1', OS_BLOCK_STORAGE__QUOTA_GIGABYTES: '-1', ...(fake ? { OS_BLOCK_STORAGE__ENABLED_BACKENDS: 'file:fake' } : {}) } });
try {
  const env = strata.adminEnv;
  const auth = await fetch(`${env.OS_AUTH_URL}/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: env.OS_USERNAME, password: env.OS_PASSWORD, domain: { id: 'default' } } } }, scope: { project: { name: env.OS_PROJECT_NAME, domain: { id: 'default' } } } } }),
  });
  const token = auth.headers.get('x-subject-token') as string;
  const body = (await auth.json()) as { token: { catalog: Array<{ type: string; endpoints: Array<{ interface: string; url: string }> }> } };
  const base = body.token.catalog.find((c) => c.type === 'block-storage')?.endpoints.find((e) => e.interface === 'public')?.url as string;
  const headers = { 'x-auth-token': token, 'content-type': 'application/json' };

  const create = async (name: string): Promise<string> => {
    const res = await fetch(`${base}/volumes`, { method: 'POST', headers, body: JSON.stringify({ volume: { size: 1, name } }) });
    if (res.status !== 202) throw new Error(`create returned ${res.status}: ${await res.text()}`);
    return ((await res.json()) as { volume: { id: string } }).volume.id;
  };
  const available = async (id: string): Promise<void> => {
    for (;;) {
      const v = ((await fetch(`${base}/volumes/${id}`, { headers }).then((r) => r.json())) as { volume: { status: string } }).volume;
      if (v.status === 'available') return;
      if (v.status === 'error') throw new Error(`volume ${id} went to error`);
      await sleep(10);
    }
  };
  const remove = async (ids: readonly string[]): Promise<void> => {
    const statuses = await Promise.all(ids.map((id) => fetch(`${base}/volumes/${id}`, { method: 'DELETE', headers }).then((r) => r.status)));
    if (statuses.some((s) => s !== 202)) throw new Error(`delete returned ${statuses.join(',')}`);
    for (const id of ids) while ((await fetch(`${base}/volumes/${id}`, { headers })).status !== 404) await sleep(10);
  };

  // Warm up (token cache, first qemu-img run).
  const warm = await create('warmup');
  await available(warm);
  await remove([warm]);

  const latencies: number[] = [];
  const seqIds: string[] = [];
  for (let i = 0; i < sequential; i++) {
    const t0 = performance.now();
    const id = await create(`seq-${i}`);
    await available(id);
    latencies.push(performance.now() - t0);
    seqIds.push(id);
  }
  await remove(seqIds);

  const burst: number[] = [];
  const perVolume: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    const ids = await Promise.all(
      Array.from({ length: concurrent }, async (_, i) => {
        const s = performance.now();
        const id = await create(`burst-${r}-${i}`);
        await available(id);
        perVolume.push(performance.now() - s);
        return id;
      }),
    );
    burst.push(performance.now() - t0);
    await remove(ids);
  }

  console.log(`cinder volume create → available, server = strata up (separate process), 1 GiB volumes, ${fake ? 'fake' : 'default (file where qemu-img is installed)'} backend, polling every 10 ms`);
  console.log(`sequential (${sequential}):  median ${median(latencies).toFixed(1)} ms   p90 ${pct(latencies, 0.9).toFixed(1)} ms   min ${Math.min(...latencies).toFixed(1)} ms`);
  console.log(`${concurrent} concurrent (${rounds} rounds): all available in median ${median(burst).toFixed(0)} ms   per volume median ${median(perVolume).toFixed(1)} ms   p90 ${pct(perVolume, 0.9).toFixed(1)} ms   → ${((concurrent * 1000) / median(burst)).toFixed(0)} volumes/s`);
} finally {
  await strata.stop();
}
