// QemuDriver against real QEMU under TCG, booting Strata's test image: the conformance suite,
// then what only a real hypervisor shows (self power-off, adoption after a restart, image checks).
// Skipped where qemu-system-x86_64 or the image tools are missing, unless STRATA_REQUIRE_SERVICES=1.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { access, copyFile, mkdir, mkdtemp, readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { PowerState, type ComputeDriver, type LifecycleEvent, type SpawnRequest } from '@strata/virt';
import { runComputeDriverConformance } from '@strata/virt/conformance';
import { onPath, servicesRequired } from '@strata/testing';
import { BANNER_END, QemuDriver } from './index.js';
import { cachedTestImage } from './testing/test-image-cache.js';

const here = dirname(fileURLToPath(import.meta.url));

/** The programs of `names` not installed (PATH, and the sbin directories a non-login root shell may lack). */
function missingPrograms(names: readonly string[]): string[] {
  const path = `${process.env.PATH ?? ''}:/usr/sbin:/sbin:/usr/bin`;
  return names.filter((n) => !onPath(n, path));
}

async function skipReason(): Promise<string | false> {
  const missing = missingPrograms(['qemu-system-x86_64', 'qemu-img', 'mkfs.fat', 'mcopy', 'syslinux', 'cpio', 'dpkg-deb', 'apt-get']);
  const iso = missingPrograms(['xorriso']);
  const geniso = missingPrograms(['genisoimage']);
  if (iso.length > 0 && geniso.length > 0) missing.push('xorriso or genisoimage');
  if (missing.length === 0) return false;
  const message = `missing ${missing.join(', ')} (Debian: qemu-system-x86 qemu-utils dosfstools mtools syslinux syslinux-common cpio xorriso)`;
  if (servicesRequired()) throw new Error(`${message}, and STRATA_REQUIRE_SERVICES=1 requires them`);
  return `${message}: skipped`;
}

const SKIP = await skipReason();

/** Pids of processes whose command line contains `text`. */
async function processesWith(text: string): Promise<number[]> {
  const out: number[] = [];
  for (const p of await readdir('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    const cmd = await readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(text)) out.push(Number(p));
  }
  return out;
}

async function killAll(text: string): Promise<void> {
  for (const pid of await processesWith(text)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

function driverConfig(instancesPath: string): Parameters<typeof QemuDriver.create>[0] {
  return { instancesPath, accel: 'tcg', userNetworkRestrict: true, shutdownTimeoutMs: 30_000, deviceDetachTimeoutMs: 30_000, vncDisplays: { first: 50, last: 199 } };
}

runComputeDriverConformance(
  async () => {
    const image = await cachedTestImage();
    const instancesPath = await mkdtemp(join(tmpdir(), 'strata-vq-'));
    const scratchDir = await mkdtemp(join(tmpdir(), 'strata-vq-scratch-'));
    const driver = await QemuDriver.create(driverConfig(instancesPath));
    return {
      driver,
      image: { path: image, format: 'qcow2' },
      scratchDir,
      flavor: { vcpus: 1, memoryMb: 128, rootGb: 1 },
      bannerLine: BANNER_END,
      bootTimeoutMs: 60_000,
      makeVolume: async (name, sizeMb) => {
        const path = join(scratchDir, `${name}.raw`);
        await writeFile(path, '');
        await truncate(path, sizeMb * 1024 * 1024);
        return { driverVolumeType: 'file', path, format: 'raw' };
      },
      breakSpawn: (request) => ({
        ...request,
        blockDeviceInfo: [{ connectionInfo: { driverVolumeType: 'file', path: join(scratchDir, 'no-such-volume.raw') }, mountDevice: '/dev/vdc', bootIndex: null }],
      }),
      assertNothingLeft: async (uuid) => {
        assert.ok(!(await exists(join(instancesPath, uuid))), `the state directory of ${uuid} is gone`);
        assert.deepEqual(await processesWith(uuid), [], `no process of ${uuid} runs`);
      },
      dispose: async () => {
        for (const id of await driver.listInstanceUuids()) await driver.destroy(id).catch(() => undefined);
        await driver.close();
        await killAll(instancesPath);
        await rm(instancesPath, { recursive: true, force: true });
        await rm(scratchDir, { recursive: true, force: true });
      },
    };
  },
  { name: 'qemu (TCG)', skip: SKIP },
);

describe('QemuDriver on a real QEMU', { skip: SKIP }, () => {
  let image: string;
  let instancesPath: string;
  let driver: QemuDriver;
  const events: LifecycleEvent[] = [];
  const drivers: ComputeDriver[] = [];

  const request = (uuid: string, userData?: string): SpawnRequest => ({
    instance: { uuid, name: `instance-${uuid.slice(0, 8)}`, vcpus: 1, memoryMb: 128, rootGb: 1, ephemeralGb: 1, swapMb: 64, extraSpecs: {}, imageProperties: { hw_disk_bus: 'virtio' } },
    image: { path: image, format: 'qcow2' },
    networkInfo: [{ portId: randomUUID(), mac: 'fa:16:3e:12:34:56', ips: [] }],
    blockDeviceInfo: [],
    configDrive: {
      metaData: { uuid, hostname: `vm-${uuid.slice(0, 6)}`, public_keys: { mykey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMyKey me@host' } },
      ...(userData !== undefined ? { userData: Buffer.from(userData).toString('base64') } : {}),
    },
    adminPassword: 'never-in-the-log',
  });

  before(async () => {
    image = await cachedTestImage();
    instancesPath = await mkdtemp(join(tmpdir(), 'strata-vq-'));
    driver = await QemuDriver.create(driverConfig(instancesPath));
    drivers.push(driver);
    await driver.init('qemu-test-host', { virtHost: { lifecycleEvent: (e) => events.push(e) } });
  });

  after(async () => {
    const last = drivers.at(-1);
    for (const id of (await last?.listInstanceUuids()) ?? []) await last?.destroy(id).catch(() => undefined);
    for (const d of drivers) await d.close();
    await killAll(instancesPath);
    await rm(instancesPath, { recursive: true, force: true });
  });

  test('a guest booted from a volume powers itself off (SHUTDOWN), a panicking one is CRASHED, a restarted driver adopts a running one', { timeout: 120_000 }, async () => {
    const stays = randomUUID();
    const leaves = randomUUID();
    // The guest that leaves boots from a volume (a copy of the image), which destroy must keep.
    const volume = join(instancesPath, '..', `bfv-${leaves.slice(0, 8)}.qcow2`);
    await copyFile(image, volume);
    const fromVolume: SpawnRequest = {
      ...request(leaves, '#!/bin/sh\necho user-data says goodbye\nsleep 1\npoweroff\n'),
      image: null,
      blockDeviceInfo: [{ volumeId: randomUUID(), connectionInfo: { driverVolumeType: 'file', path: volume, format: 'qcow2' }, mountDevice: '/dev/vda', bootIndex: 0 }],
    };
    // A third guest panics its kernel right after booting.
    const panics = randomUUID();
    await Promise.all([driver.spawn(request(stays)), driver.spawn(fromVolume), driver.spawn(request(panics, '#!/bin/sh\necho 1 > /proc/sys/kernel/sysrq\necho c > /proc/sysrq-trigger\n'))]);

    // The guest that leaves: it ran its user data, powered off, and its QEMU exited.
    const leftOut = await until('the guest to power itself off', async () => ((await driver.getInfo(leaves)).powerState === PowerState.SHUTDOWN ? true : undefined), 90_000);
    assert.ok(leftOut);
    const log = await driver.getConsoleOutput(leaves);
    assert.match(log, /metadata: config-drive/);
    assert.match(log, /public keys: mykey/);
    assert.match(log, /block devices: .*vda \d+M, vdb 1G, vdc 64M/, 'boot volume, ephemeral and swap disks');
    assert.match(log, /user-data says goodbye/);
    assert.deepEqual(await processesWith(leaves), []);
    assert.ok(events.some((e) => e.uuid === leaves && e.transition === 'stopped'), 'the exit was reported');
    const def = await readFile(join(instancesPath, leaves, 'instance.json'), 'utf8');
    assert.doesNotMatch(def, /never-in-the-log/, 'the admin password is only on the config drive');

    // The guest that panicked: QEMU paused it (pvpanic); CRASHED until a hard reboot.
    await until('the guest to crash', async () => ((await driver.getInfo(panics)).powerState === PowerState.CRASHED ? true : undefined), 60_000);
    assert.ok(events.some((e) => e.uuid === panics && e.transition === 'crashed'), 'the crash was reported');
    await driver.destroy(panics);

    // The guest that stays: nova-compute restarts; the new driver finds the same process.
    await until('the banner', async () => ((await driver.getConsoleOutput(stays)).includes(BANNER_END) ? true : undefined), 60_000);
    const pid = (await driver.getInfo(stays)).internalId;
    assert.notEqual(pid, null);
    await driver.close();
    const second = await QemuDriver.create(driverConfig(instancesPath));
    drivers.push(second);
    await second.init('qemu-test-host');
    assert.deepEqual(await second.listInstanceUuids(), [leaves, stays].sort());
    const info = await second.getInfo(stays);
    assert.equal(info.powerState, PowerState.RUNNING);
    assert.equal(info.internalId, pid, 'the same QEMU process, adopted');
    assert.equal((await second.getInfo(leaves)).powerState, PowerState.SHUTDOWN);
    // A volume exported over NBD (as cinder does from a storage host), hot-plugged into the adopted guest.
    const nbdFile = join(instancesPath, '..', `nbd-${stays.slice(0, 8)}.raw`);
    await writeFile(nbdFile, '');
    await truncate(nbdFile, 16 * 1024 * 1024);
    const port = 20000 + Math.floor(Math.random() * 20000);
    const nbd = spawn('qemu-nbd', ['--bind', '127.0.0.1', '--port', String(port), '--export-name', 'volume-nbd', '--format', 'raw', '--persistent', nbdFile], { stdio: 'ignore' });
    try {
      await until('qemu-nbd to listen', async () => ((await readFile('/proc/net/tcp', 'utf8')).includes(`:${port.toString(16).toUpperCase()} 00000000:0000 0A`) ? true : undefined), 10_000);
      await second.attachVolume(stays, { connectionInfo: { driverVolumeType: 'nbd', host: '127.0.0.1', port, exportName: 'volume-nbd' }, mountDevice: '/dev/vdd', bootIndex: null });
      await until('the guest to see the NBD volume', async () => (/block device added: vdd[\s\S]*block devices: .*vdd 16M/.test(await second.getConsoleOutput(stays)) ? true : undefined), 30_000);
      await second.detachVolume(stays, '/dev/vdd');
    } finally {
      nbd.kill('SIGKILL');
      await rm(nbdFile, { force: true });
    }
    await second.pause(stays);
    assert.equal((await second.getInfo(stays)).powerState, PowerState.PAUSED);
    await second.destroy(stays);
    await second.destroy(leaves);
    assert.deepEqual(await second.listInstanceUuids(), []);
    assert.ok(await exists(volume), 'destroy keeps volumes');
    await rm(volume, { force: true });
    assert.deepEqual(await processesWith(stays), []);
    assert.deepEqual(await readdir(instancesPath), []);
  });

  test('an image whose data is not its declared format is refused, and nothing is left', async () => {
    const last = drivers.at(-1) as QemuDriver;
    const lying = join(instancesPath, '..', `lying-${randomUUID().slice(0, 8)}.raw`);
    await copyFile(image, lying);
    try {
      const uuid = randomUUID();
      await assert.rejects(last.spawn({ ...request(uuid), image: { path: lying, format: 'raw' } }), (e: unknown) => (e as { code?: string }).code === 'ImageUnacceptable');
      assert.ok(!(await exists(join(instancesPath, uuid))));
    } finally {
      await rm(lying, { force: true });
    }
  });

  test('a root disk smaller than the image is refused', async () => {
    const last = drivers.at(-1) as QemuDriver;
    const big = join(instancesPath, '..', `big-${randomUUID().slice(0, 8)}.raw`);
    await mkdir(dirname(big), { recursive: true });
    await writeFile(big, '');
    await truncate(big, 2 * 1024 * 1024 * 1024);
    try {
      const uuid = randomUUID();
      await assert.rejects(last.spawn({ ...request(uuid), image: { path: big, format: 'raw' } }), /smaller than the image/);
      assert.deepEqual(await last.listInstanceUuids(), []);
    } finally {
      await rm(big, { force: true });
    }
  });
});
