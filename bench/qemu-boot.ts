/**
 * Real VMs: `strata up` (its own process) with the QEMU driver boots Strata's test image
 * (m1.tiny, private network). For N sequential servers: time from POST /servers to ACTIVE and
 * to the guest's banner on its serial console (`os-getConsoleOutput`), medians; then the
 * resident memory (RSS) of each idle guest's QEMU process, peak over a few seconds.
 *
 *   node --import tsx bench/qemu-boot.ts [--runs 5] [--idle 3]
 *
 * Needs qemu-system-x86_64 and the image build tools (see packages/drivers/virt-qemu/README.md).
 * Under TCG (no usable KVM) the numbers are emulation's.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { IdentityClient, endpointFor, requestJson } from '@strata/clients';
import { startStrataProcess } from '@strata/testing';
import { BANNER_END, buildTestImage } from '@strata/virt-qemu';
import { arg, median } from './lib/stats.js';

/** VmHWM (peak RSS) and VmRSS of a process, bytes. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

function qemuPidOf(stateDir: string): number | undefined {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (cmd.includes('qemu-system') && cmd.includes(stateDir)) return Number(name);
    } catch {
      // gone
    }
  }
  return undefined;
}

const runs = arg('runs', 5);
const idleSeconds = arg('idle', 3);
const MIB = 1024 * 1024;
const IMAGE_CACHE = join(tmpdir(), 'strata-test-image-cache', 'strata-test.qcow2');

if (!existsSync(IMAGE_CACHE)) await buildTestImage({ output: IMAGE_CACHE, onProgress: (m) => console.error(`build-image: ${m}`) });
const dataDir = mkdtempSync(join(tmpdir(), 'strata-qb-'));
mkdirSync(join(dataDir, 'images'), { recursive: true });
copyFileSync(IMAGE_CACHE, join(dataDir, 'images', 'strata-test.qcow2'));
const strata = await startStrataProcess({ dataDir, env: { OS_COMPUTE__DRIVER: 'qemu' }, timeoutMs: 180_000 });
try {
  const e = strata.adminEnv;
  const issued = await new IdentityClient(String(e.OS_AUTH_URL)).authenticate({ username: String(e.OS_USERNAME), password: String(e.OS_PASSWORD), projectName: String(e.OS_PROJECT_NAME) });
  const h = { 'x-auth-token': issued.id };
  const compute = `${endpointFor(issued.body, 'compute') ?? ''}`;
  const glance = endpointFor(issued.body, 'image') ?? '';
  const neutron = endpointFor(issued.body, 'network') ?? '';
  const image = (await requestJson<{ images: Array<{ id: string }> }>(`${glance}/v2/images?name=strata-test`, { headers: h })).body.images[0]?.id;
  if (image === undefined) throw new Error('strata up did not register the test image');
  const net = (await requestJson<{ networks: Array<{ id: string }> }>(`${neutron}/v2.0/networks?name=private`, { headers: h })).body.networks[0]?.id;
  const flavor = (await requestJson<{ flavors: Array<{ id: string; name: string }> }>(`${compute}/flavors`, { headers: h })).body.flavors.find((f) => f.name === 'm1.tiny')?.id;
  const accel = /"accel":"(kvm|tcg)"/.exec(readFileSync(join(dataDir, 'strata.log'), 'utf8'))?.[1] ?? 'unknown';

  const toActive: number[] = [];
  const toBanner: number[] = [];
  const ids: string[] = [];
  for (let n = 0; n < runs; n++) {
    const t0 = performance.now();
    const created = await requestJson<{ server: { id: string } }>(`${compute}/servers`, { method: 'POST', headers: h, body: { server: { name: `bench-${n}`, imageRef: image, flavorRef: flavor, networks: net === undefined ? 'none' : [{ uuid: net }] } } });
    const id = created.body.server.id;
    ids.push(id);
    let active: number | undefined;
    for (;;) {
      if (active === undefined) {
        const s = (await requestJson<{ server: { status: string } }>(`${compute}/servers/${id}`, { headers: h })).body.server.status;
        if (s === 'ERROR') throw new Error(`server ${id} went to ERROR`);
        if (s === 'ACTIVE') active = performance.now() - t0;
      }
      if (active !== undefined) {
        const out = await requestJson<{ output: string }>(`${compute}/servers/${id}/action`, { method: 'POST', headers: h, body: { 'os-getConsoleOutput': { length: 50 } } });
        if (out.body.output.includes(BANNER_END)) break;
      }
      if (performance.now() - t0 > 180_000) throw new Error(`server ${id}: no banner after 180 s`);
      await sleep(100);
    }
    toActive.push(active);
    toBanner.push(performance.now() - t0);
    console.error(`run ${n + 1}/${runs}: ACTIVE ${(active / 1000).toFixed(2)} s, banner ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  }

  // Idle guests: sample RSS for a few seconds, keep each one's peak.
  const peaks = new Map<string, number>();
  const end = Date.now() + idleSeconds * 1000;
  while (Date.now() < end) {
    for (const id of ids) {
      const pid = qemuPidOf(join(dataDir, 'vms', id));
      if (pid === undefined) continue;
      const m = memoryOf(pid);
      peaks.set(id, Math.max(peaks.get(id) ?? 0, m.rss, m.peak));
    }
    await sleep(500);
  }
  const rss = [...peaks.values()];
  console.log(`QEMU boot of the test image (m1.tiny, ${accel.toUpperCase()}), ${runs} sequential servers:`);
  console.log(`  create → ACTIVE:  median ${(median(toActive) / 1000).toFixed(2)} s (min ${(Math.min(...toActive) / 1000).toFixed(2)}, max ${(Math.max(...toActive) / 1000).toFixed(2)})`);
  console.log(`  create → banner:  median ${(median(toBanner) / 1000).toFixed(2)} s (min ${(Math.min(...toBanner) / 1000).toFixed(2)}, max ${(Math.max(...toBanner) / 1000).toFixed(2)})`);
  console.log(`  peak RSS per idle VM (QEMU process): median ${(median(rss) / MIB).toFixed(1)} MiB (max ${(Math.max(...rss) / MIB).toFixed(1)} MiB, ${rss.length} VMs)`);
  for (const id of ids) await requestJson(`${compute}/servers/${id}`, { method: 'DELETE', headers: h }).catch(() => undefined);
  for (const id of ids) {
    const deadline = Date.now() + 60_000;
    while (qemuPidOf(join(dataDir, 'vms', id)) !== undefined && Date.now() < deadline) await sleep(500);
  }
} finally {
  await strata.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
