/**
 * nova with the fake driver in the all-in-one (in-process test cloud): boot-to-ACTIVE latency
 * (median of N sequential boots), C concurrent boots until all ACTIVE, and GET /servers/detail
 * latency with 1,000 servers. Servers boot with `networks: none` unless --network is given.
 *
 *   node --import tsx bench/compute-boot.ts [--sequential 50] [--concurrent 200] [--servers 1000] [--network]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { endpointFor, requestJson } from '@strata/clients';
import { startTestCloud } from '@strata/testing';
import { arg, median, pct } from './lib/stats.js';


const tc = await startTestCloud({ env: { OS_COMPUTE__FAKE_MEMORY_MB: '100000000', OS_COMPUTE__FAKE_VCPUS: '1000000', OS_COMPUTE__FAKE_LOCAL_GB: '100000000' } });
try {
  const token = await tc.adminToken();
  const issued = await tc.identity.authenticate(tc.admin);
  const base = `${tc.cloud.urls.compute}/v2.1`;
  const h = { 'x-auth-token': token, 'openstack-api-version': 'compute 2.37' };
  const projectId = issued.body.project?.id ?? '';
  await requestJson(`${base}/os-quota-sets/${projectId}`, { method: 'PUT', headers: h, body: { quota_set: { instances: -1, cores: -1, ram: -1 } } });
  let imageRef = '00000000-0000-4000-8000-000000000000';
  const imageUrl = endpointFor(issued.body, 'image');
  if (imageUrl !== undefined) {
    const img = await requestJson<{ id: string }>(`${imageUrl}/v2/images`, { method: 'POST', headers: h, body: { name: 'bench', disk_format: 'raw', container_format: 'bare' } });
    await fetch(`${imageUrl}/v2/images/${img.body.id}/file`, { method: 'PUT', headers: { ...h, 'content-type': 'application/octet-stream' }, body: Buffer.alloc(4096) });
    imageRef = img.body.id;
  }
  let networks: unknown = 'none';
  if (process.argv.includes('--network')) {
    const netUrl = endpointFor(issued.body, 'network');
    const nets = await requestJson<{ networks: Array<{ id: string; name: string }> }>(`${netUrl}/v2.0/networks?name=private`, { headers: h });
    networks = [{ uuid: nets.body.networks[0]?.id }];
  }
  const create = async (name: string): Promise<string> => (await requestJson<{ server: { id: string } }>(`${base}/servers`, { method: 'POST', headers: h, body: { server: { name, imageRef, flavorRef: '1', networks } } })).body.server.id;
  const untilActive = async (id: string): Promise<void> => {
    for (;;) {
      const s = await requestJson<{ server: { status: string } }>(`${base}/servers/${id}`, { headers: h });
      if (s.body.server.status === 'ACTIVE') return;
      if (s.body.server.status === 'ERROR') throw new Error(`server ${id} went to ERROR`);
      await sleep(2);
    }
  };

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
