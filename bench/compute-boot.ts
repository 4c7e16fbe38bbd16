/**
 * nova with the fake driver in the all-in-one (in-process test cloud): boot-to-ACTIVE latency
 * (median of N sequential boots), C concurrent boots until all ACTIVE, and GET /servers/detail
 * latency with 1,000 servers. Servers boot with `networks: none` unless --network is given.
 *
 *   node --import tsx bench/compute-boot.ts [--sequential 50] [--concurrent 200] [--servers 1000] [--network]
 */
import { requestJson } from '@strata/clients';
import { startTestCloud } from '@strata/testing';
import { arg, median, pct } from './lib/stats.js';
import { computeSession, ROOMY_FAKE_HOST } from './lib/compute-session.js';


const tc = await startTestCloud({ env: ROOMY_FAKE_HOST });
try {
  const { base, headers: h, create, untilActive } = await computeSession(tc, process.argv.includes('--network') ? 'private' : 'none');

  const nSeq = arg('sequential', 50);
  const seq: number[] = [];
  for (let n = 0; n < nSeq; n++) {
    const t0 = performance.now();
    await untilActive(await create(`seq-${n}`));
    seq.push(performance.now() - t0);
  }
  console.log(`boot-to-ACTIVE, ${nSeq} sequential: median ${median(seq).toFixed(1)} ms, p95 ${pct(seq, 0.95).toFixed(1)} ms`);

  const nConc = arg('concurrent', 200);
  const t1 = performance.now();
  await Promise.all(Array.from({ length: nConc }, async (_, n) => untilActive(await create(`conc-${n}`))));
  console.log(`${nConc} concurrent boots until all ACTIVE: ${((performance.now() - t1) / 1000).toFixed(2)} s`);

  const total = arg('servers', 1000);
  const have = nSeq + nConc;
  for (let start = have; start < total; start += 100) {
    await Promise.all(Array.from({ length: Math.min(100, total - start) }, async (_, n) => untilActive(await create(`fill-${start + n}`))));
  }
  const lat: number[] = [];
  let count = 0;
  for (let n = 0; n < 20; n++) {
    const t0 = performance.now();
    const r = await requestJson<{ servers: unknown[] }>(`${base}/servers/detail`, { headers: h });
    lat.push(performance.now() - t0);
    count = r.body.servers.length;
  }
  console.log(`GET /servers/detail with ${count} servers: median ${median(lat).toFixed(1)} ms, p95 ${pct(lat, 0.95).toFixed(1)} ms`);
} finally {
  await tc.close();
}
