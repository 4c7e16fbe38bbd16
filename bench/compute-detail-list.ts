/**
 * GET /servers/detail latency with many servers (in-process test cloud, fake driver): the
 * volume attachments of a page are read in one query, so the list must not grow a query per
 * server. Boots N servers (`networks: none`), then times the detail list at 2.1 and at the
 * newest microversion, and a limit=100 page.
 *
 *   node --import tsx bench/compute-detail-list.ts [--servers 1000] [--rounds 20]
 */
import { requestJson } from '@strata/clients';
import { startTestCloud } from '@strata/testing';
import { arg, median, pct } from './lib/stats.js';
import { computeSession, ROOMY_FAKE_HOST } from './lib/compute-session.js';
import { createDatabase } from '@strata/db';
import { join } from 'node:path';
import type { ComputeDatabase } from '../services/compute/src/db/schema.js';
import { VolumeAttachmentStore } from '../services/compute/src/objects/volume-attachment.js';


const tc = await startTestCloud({ env: ROOMY_FAKE_HOST });
try {
  const { base, headers, create, untilActive: poll } = await computeSession(tc);
  const untilActive = (id: string): Promise<void> => poll(id, 5);
  const token = headers['x-auth-token'] ?? '';
  const total = arg('servers', 1000);
  const t0 = performance.now();
  for (let start = 0; start < total; start += 100) {
    await Promise.all(Array.from({ length: Math.min(100, total - start) }, async (_, n) => untilActive(await create(`d-${start + n}`))));
  }
  console.log(`${total} servers ACTIVE in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const rounds = arg('rounds', 20);
  const time = async (label: string, path: string, version: string): Promise<void> => {
    const lat: number[] = [];
    let count = 0;
    for (let n = 0; n < rounds; n++) {
      const s = performance.now();
      const r = await requestJson<{ servers: unknown[] }>(`${base}${path}`, { headers: { 'x-auth-token': token, 'openstack-api-version': `compute ${version}` } });
      lat.push(performance.now() - s);
      count = r.body.servers.length;
    }
    console.log(`${label} (${count} servers): median ${median(lat).toFixed(1)} ms, p95 ${pct(lat, 0.95).toFixed(1)} ms`);
  };
  await time('GET /servers/detail @2.1', '/servers/detail', '2.1');
  await time('GET /servers/detail @2.96', '/servers/detail', '2.96');
  await time('GET /servers/detail?limit=100 @2.96', '/servers/detail?limit=100', '2.96');

  // What the batching saves: the page's attachment reads, one query per server (before) vs one.
  const db = createDatabase<ComputeDatabase>(`sqlite://${join(tc.dataDir, 'compute.sqlite')}`);
  try {
    const store = new VolumeAttachmentStore(db.db);
    const ids = (await db.db.selectFrom('instances').select('id').execute()).map((r) => r.id);
    const perServer: number[] = [];
    const batched: number[] = [];
    for (let n = 0; n < rounds; n++) {
      let s = performance.now();
      for (const id of ids) await store.list(id);
      perServer.push(performance.now() - s);
      s = performance.now();
      await store.listMany(ids);
      batched.push(performance.now() - s);
    }
    console.log(`attachment reads for ${ids.length} servers: one query per server median ${median(perServer).toFixed(1)} ms, one batched query median ${median(batched).toFixed(1)} ms`);
  } finally {
    await db.close();
  }
} finally {
  await tc.close();
}
