/**
 * Upload and download throughput of glance in the all-in-one (`strata up` as its own process) for a
 * large image on loopback, and how much the server's resident memory grows while it streams.
 * Several runs; medians printed as a table.
 *
 *   node --import tsx bench/image-throughput.ts [--mb 1024] [--runs 3]
 *
 * Upload: the client streams a file with PUT /v2/images/{id}/file (the server hashes MD5 + SHA-512
 * and writes to its file store). Download: GET …/file read to the end and dropped; "download+verify"
 * also writes it to disk and checks SHA-512, as ImageClient.downloadToPath does for nova-compute.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { IdentityClient, ImageClient } from '@strata/clients';
import { arg, median } from './lib/stats.js';

const MB = 1024 * 1024;
const sizeMb = arg('mb', 1024);
const runs = arg('runs', 3);

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? 0 : Number(m[1]) * 1024;
}

/** CPU seconds (user + system, all threads) the process has used. */
function cpuOf(pid: number): number {
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** Run `fn` while sampling the server's RSS; resolves to its duration, the server's CPU time and the peak RSS growth over the RSS before it. */
async function measured(pid: number, fn: () => Promise<void>): Promise<{ seconds: number; cpu: number; rssGrowth: number }> {
  const baseline = rssOf(pid);
  const cpu0 = cpuOf(pid);
  let peak = baseline;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peak = Math.max(peak, rssOf(pid));
      await sleep(10);
    }
  })();
  const t0 = process.hrtime.bigint();
  try {
    await fn();
  } finally {
    sampling = false;
    await sampler;
  }
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, cpu: cpuOf(pid) - cpu0, rssGrowth: peak - baseline };
}

const work = mkdtempSync(join(tmpdir(), 'strata-bench-image-'));
const dataDir = join(work, 'data');
const file = join(work, 'image.raw');
{
  // Incompressible data; content does not matter for the hashes' speed.
  const block = randomBytes(4 * MB);
  const out = createWriteStream(file);
  for (let i = 0; i < sizeMb / 4; i++) if (!out.write(block)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

const repo = resolve(new URL('..', import.meta.url).pathname);
const child = spawn(process.execPath, [join(repo, 'apps/cli/bin/strata.js'), 'up', '--data-dir', dataDir], {
  env: { ...process.env, OS_IDENTITY__PASSWORD_HASH_ROUNDS: '4', OS_IDENTITY__PORT: '0', OS_IMAGE__PORT: '0', OS_NETWORK__PORT: '0', OS_BLOCK_STORAGE__PORT: '0', OS_COMPUTE__PORT: '0', OS_COMPUTE__METADATA_PORT: '0', OS_COMPUTE__NOVNCPROXY_PORT: '0', OS_DASHBOARD__PORT: '0', OS_LOGGING__LEVEL: 'warn' },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let printed = '';
child.stdout.on('data', (d: Buffer) => (printed += d.toString()));
child.stderr.on('data', (d: Buffer) => (printed += d.toString()));
try {
  const deadline = Date.now() + 60_000;
  while (!printed.includes('Strata is up.')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`strata up did not start:\n${printed}`);
    await sleep(100);
  }
  const urlOf = (name: string): string => {
    const m = new RegExp(`^\\s+${name}\\s+(\\S+)`, 'm').exec(printed);
    if (m === null) throw new Error(`no ${name} URL in:\n${printed}`);
    return m[1] as string;
  };
  const password = /OS_PASSWORD='([^']*)'/.exec(readFileSync(join(dataDir, 'openrc'), 'utf8'))?.[1] ?? '';
  const identity = new IdentityClient(`${urlOf('identity')}/v3`);
  const token = (await identity.authenticate({ username: 'admin', password, projectName: 'admin' }, { nocatalog: true })).id;
  const images = new ImageClient(urlOf('image'), 600_000);
  const pid = child.pid as number;

  const rows: Array<{ up: number; down: number; verify: number; upCpu: number; downCpu: number; upRss: number; downRss: number }> = [];
  for (let r = 0; r < runs; r++) {
    const img = await images.createImage(token, { name: `bench-${r}`, disk_format: 'raw', container_format: 'bare' });
    const up = await measured(pid, () => images.uploadData(token, img.id, file));
    const down = await measured(pid, async () => {
      const d = await images.openDownload(token, img.id);
      for await (const _chunk of d.stream) {
        // dropped: only the transfer is measured
      }
    });
    const target = join(work, 'downloaded.raw');
    const verify = await measured(pid, async () => {
      await images.downloadToPath(token, img.id, target);
    });
    rmSync(target, { force: true });
    await images.deleteImage(token, img.id);
    const gib = sizeMb / 1024;
    rows.push({ up: sizeMb / up.seconds, down: sizeMb / down.seconds, verify: sizeMb / verify.seconds, upCpu: up.cpu / gib, downCpu: down.cpu / gib, upRss: up.rssGrowth / MB, downRss: Math.max(down.rssGrowth, verify.rssGrowth) / MB });
    process.stdout.write(`run ${r + 1}: upload ${(sizeMb / up.seconds).toFixed(0)} MB/s, download ${(sizeMb / down.seconds).toFixed(0)} MB/s, download+verify ${(sizeMb / verify.seconds).toFixed(0)} MB/s; server CPU ${(up.cpu / gib).toFixed(2)} / ${(down.cpu / gib).toFixed(2)} s per GiB; server RSS growth ${(up.rssGrowth / MB).toFixed(1)} / ${(down.rssGrowth / MB).toFixed(1)} MB; load ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}\n`);
  }
  const med = (k: keyof (typeof rows)[number]): string => median(rows.map((x) => x[k])).toFixed(k.endsWith('Rss') ? 1 : k.endsWith('Cpu') ? 2 : 0);
  process.stdout.write(`\nglance, ${sizeMb} MiB image on loopback, median of ${runs} runs (MB = MiB)\n`);
  process.stdout.write(`| upload MB/s | download MB/s | download+verify MB/s | server CPU s/GiB, upload | server CPU s/GiB, download | server RSS growth, upload (MB) | server RSS growth, download (MB) |\n|---|---|---|---|---|---|---|\n`);
  process.stdout.write(`| ${med('up')} | ${med('down')} | ${med('verify')} | ${med('upCpu')} | ${med('downCpu')} | ${med('upRss')} | ${med('downRss')} |\n`);
} finally {
  child.kill('SIGTERM');
  await Promise.race([once(child, 'exit'), sleep(15_000)]);
  if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
}
