/**
 * The ComputeDriver conformance suite (node:test): one sequence of checks every driver must
 * pass, run by each driver package against its own driver (fake always, QEMU where installed).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { access, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ComputeDriver } from '../compute-driver.js';
import { PowerState } from '../power-state.js';
import type { ConnectionInfo, ImageRef, SpawnRequest } from '../virt-types.js';
import type { LifecycleEvent } from '../virt-host.js';

/** What a driver package hands the suite. */
export interface ConformanceTarget {
  /** A driver, created but not yet initialised (the suite calls init). */
  readonly driver: ComputeDriver;
  /** A bootable base image the driver accepts. */
  readonly image: ImageRef;
  /** A directory the suite may write snapshots to. */
  readonly scratchDir: string;
  /** Guest sizes. @default { vcpus: 1, memoryMb: 128, rootGb: 1 } */
  readonly flavor?: { readonly vcpus: number; readonly memoryMb: number; readonly rootGb: number };
  /**
   * The line the guest prints once per boot when it is up (Strata's test image and FakeDriver
   * print it). @default '=== end of banner ==='
   */
  readonly bannerLine?: string;
  /** How long to wait for a boot or a console line. @default 60000 */
  readonly bootTimeoutMs?: number;
  /** A blank volume of `sizeMb` the driver can attach. */
  makeVolume(name: string, sizeMb: number): Promise<ConnectionInfo>;
  /**
   * Turn a valid request into one the driver accepts at first and fails part-way through
   * (a missing volume file, an injected failure), to check that spawn cleans up.
   */
  breakSpawn(request: SpawnRequest): SpawnRequest;
  /** Throws when anything of the guest is left on the host (process, files, sockets, taps). */
  assertNothingLeft?(uuid: string): Promise<void>;
  /** Release everything the target made; destroys guests the suite left behind. */
  dispose(): Promise<void>;
}

/** Options of runComputeDriverConformance. */
export interface ConformanceOptions {
  /** Shown in the suite's name (`fake`, `qemu`). */
  readonly name: string;
  /** Skip the whole suite with this reason. */
  readonly skip?: string | false;
  /** Per-test timeout. @default 180000 */
  readonly timeoutMs?: number;
}

const HOST = 'conformance-host';

function codeOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.equal(codeOf(err), code, `expected ${code}, got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
    return true;
  });
}

/**
 * Register the suite. `makeTarget` runs once, before the first test; the suite initialises the
 * driver, spawns its guests, checks every contract rule in order, and disposes of the target.
 */
export function runComputeDriverConformance(makeTarget: () => Promise<ConformanceTarget>, options: ConformanceOptions): void {
  const testOpts = { timeout: options.timeoutMs ?? 180_000 };
  describe(`ComputeDriver conformance: ${options.name}`, { ...(options.skip ? { skip: options.skip } : {}) }, () => {
    let t: ConformanceTarget;
    let d: ComputeDriver;
    const events: LifecycleEvent[] = [];
    const uuid = randomUUID();
    const portId = randomUUID();
    const hostname = `conformance-${uuid.slice(0, 8)}`;
    let boots = 0;

    const flavor = (): { vcpus: number; memoryMb: number; rootGb: number } => t.flavor ?? { vcpus: 1, memoryMb: 128, rootGb: 1 };
    const request = (id: string, overrides: Partial<SpawnRequest> = {}): SpawnRequest => ({
      instance: { uuid: id, name: `instance-${id.slice(0, 8)}`, ...flavor(), ephemeralGb: 0, swapMb: 0, extraSpecs: {}, imageProperties: {} },
      image: t.image,
      networkInfo: [{ portId: id === uuid ? portId : randomUUID(), mac: 'fa:16:3e:00:00:01', ips: [{ address: '10.0.0.5', version: 4, prefixLength: 24 }] }],
      blockDeviceInfo: [],
      configDrive: { metaData: { uuid: id, hostname, name: hostname, public_keys: { conformance: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIConformance test@strata' } } },
      ...overrides,
    });
    const banner = (): string => t.bannerLine ?? '=== end of banner ===';
    const timeout = (): number => t.bootTimeoutMs ?? 60_000;

    /** Wait until the console shows `text` at least `count` times. */
    const waitForConsole = async (id: string, text: string, count = 1): Promise<string> => {
      const deadline = Date.now() + timeout();
      let out = '';
      for (;;) {
        out = await d.getConsoleOutput(id);
        if (out.split(text).length - 1 >= count) return out;
        if (Date.now() > deadline) assert.fail(`console of ${id} did not show ${JSON.stringify(text)} ${count} time(s) within ${timeout()} ms; it ends with:\n${out.slice(-2000)}`);
        await sleep(100);
      }
    };
    const waitForBoot = async (id: string): Promise<string> => {
      boots += 1;
      return waitForConsole(id, banner(), boots);
    };
    const powerState = async (id: string): Promise<PowerState> => (await d.getInfo(id)).powerState;

    before(async () => {
      t = await makeTarget();
      d = t.driver;
    });
    after(async () => {
      if (t !== undefined) await t.dispose();
    });

    test('capabilities are data', testOpts, () => {
      assert.equal(typeof d.type, 'string');
      for (const [k, v] of Object.entries(d.capabilities)) {
        if (k === 'imageFormats') assert.ok(Array.isArray(v) && v.length > 0, 'imageFormats lists formats');
        else assert.equal(typeof v, 'boolean', `capability ${k} is a boolean`);
      }
      assert.ok(Object.isFrozen(d.capabilities), 'capabilities are frozen');
      assert.ok(d.capabilities.imageFormats.includes(t.image.format), 'the image format is supported');
    });

    test('init, then resources name the host', testOpts, async () => {
      await d.init(HOST, { virtHost: { lifecycleEvent: (e) => events.push(e) } });
      const r = await d.getAvailableResource();
      assert.equal(r.hypervisorHostname, HOST);
      assert.ok(r.vcpus > 0 && r.memoryMb > 0 && r.localGb >= 0, 'positive sizes');
      assert.ok(Number.isInteger(r.hypervisorVersion) && r.hypervisorVersion > 0);
      assert.equal(typeof r.hypervisorType, 'string');
      assert.equal(typeof r.cpuInfo.arch, 'string');
      assert.ok(r.supportedInstances.length > 0);
    });

    test('unknown guests: NotFound everywhere but destroy', testOpts, async () => {
      const ghost = randomUUID();
      await rejectsWithCode(d.getInfo(ghost), 'InstanceNotFound');
      await rejectsWithCode(d.powerOn(ghost), 'InstanceNotFound');
      await rejectsWithCode(d.pause(ghost), 'InstanceNotFound');
      await rejectsWithCode(d.getConsoleOutput(ghost), 'InstanceNotFound');
      await rejectsWithCode(d.detachVolume(ghost, '/dev/vdb'), 'InstanceNotFound');
      await d.destroy(ghost);
      assert.ok(!(await d.listInstanceUuids()).includes(ghost));
    });

    test('spawn refuses bad names and paths, and changes nothing', testOpts, async () => {
      const id = randomUUID();
      const base = request(id);
      const bad: [string, SpawnRequest][] = [
        ['uuid', { ...base, instance: { ...base.instance, uuid: 'NOT-A-UUID' } }],
        ['uppercase uuid', { ...base, instance: { ...base.instance, uuid: id.toUpperCase() } }],
        ['instance name', { ...base, instance: { ...base.instance, name: 'guest,evil=1' } }],
        ['tap name', { ...base, networkInfo: [{ portId: randomUUID(), mac: 'fa:16:3e:00:00:02', tapName: 'eth0;reboot', ips: [] }] }],
        ['long tap name', { ...base, networkInfo: [{ portId: randomUUID(), mac: 'fa:16:3e:00:00:02', tapName: 'tap0123456789abc', ips: [] }] }],
        ['bridge', { ...base, networkInfo: [{ portId: randomUUID(), mac: 'fa:16:3e:00:00:02', tapName: 'tap01234567-89', bridge: 'br 0', ips: [] }] }],
        ['mac', { ...base, networkInfo: [{ portId: randomUUID(), mac: 'ff:ff:ff:ff:ff:ff', ips: [] }] }],
        ['image path', { ...base, image: { path: 'relative/image.qcow2', format: 'qcow2' } }],
        ['image path with ..', { ...base, image: { path: '/var/lib/../../etc/shadow', format: 'qcow2' } }],
        ['volume path', { ...base, blockDeviceInfo: [{ connectionInfo: { driverVolumeType: 'file', path: '/tmp/x\nvol' }, mountDevice: '/dev/vdb', bootIndex: null }] }],
        ['nbd export', { ...base, blockDeviceInfo: [{ connectionInfo: { driverVolumeType: 'nbd', host: '127.0.0.1', port: 10809, exportName: 'a,b' }, mountDevice: '/dev/vdb', bootIndex: null }] }],
        ['mount device', { ...base, blockDeviceInfo: [{ connectionInfo: { driverVolumeType: 'nbd', host: '127.0.0.1', port: 10809, exportName: 'v' }, mountDevice: '/dev/../vdb', bootIndex: null }] }],
        ['memory', { ...base, instance: { ...base.instance, memoryMb: -1 } }],
        ['no boot source', { ...base, image: null }],
      ];
      for (const [what, req] of bad) {
        await assert.rejects(d.spawn(req), (err: unknown) => {
          assert.equal(codeOf(err), 'InvalidInstanceSpec', `${what}: ${err instanceof Error ? err.message : String(err)}`);
          assert.equal((err as { status?: number }).status, 400);
          return true;
        });
      }
      assert.deepEqual(await d.listInstanceUuids(), []);
    });

    test('an aborted spawn rejects and leaves nothing', testOpts, async () => {
      const id = randomUUID();
      const ac = new AbortController();
      ac.abort();
      await assert.rejects(d.spawn(request(id), { signal: ac.signal }), (err: unknown) => err instanceof Error && err.name === 'AbortError');
      assert.ok(!(await d.listInstanceUuids()).includes(id));
      await t.assertNothingLeft?.(id);
    });

    test('a spawn that fails part-way cleans up completely', testOpts, async () => {
      const id = randomUUID();
      await assert.rejects(d.spawn(t.breakSpawn(request(id))));
      assert.ok(!(await d.listInstanceUuids()).includes(id));
      await rejectsWithCode(d.getInfo(id), 'InstanceNotFound');
      await t.assertNothingLeft?.(id);
    });

    test('spawn: the guest runs, is listed, uses resources and boots', testOpts, async () => {
      const before = await d.getAvailableResource();
      await d.spawn(request(uuid));
      const info = await d.getInfo(uuid);
      assert.equal(info.powerState, PowerState.RUNNING);
      assert.notEqual(info.internalId, null);
      assert.ok((await d.listInstanceUuids()).includes(uuid));
      const after = await d.getAvailableResource();
      assert.equal(after.vcpusUsed, before.vcpusUsed + flavor().vcpus);
      const out = await waitForBoot(uuid);
      assert.match(out, new RegExp(`hostname: ${hostname}`), 'the banner shows the hostname from meta_data.json');
      assert.ok(events.some((e) => e.uuid === uuid && e.transition === 'started'), 'a started lifecycle event');
    });

    test('spawn of a known uuid is InstanceExists and leaves the guest alone', testOpts, async () => {
      await rejectsWithCode(d.spawn(request(uuid)), 'InstanceExists');
      assert.equal(await powerState(uuid), PowerState.RUNNING);
    });

    test('console output: tail by lines', testOpts, async () => {
      // NOTE: a booted guest may still write (a console prompt after its banner): compare a tail with
      // the whole log only when the log did not change around it.
      let all = '';
      let two = '';
      for (let attempt = 0; attempt < 20; attempt++) {
        all = await d.getConsoleOutput(uuid);
        two = await d.getConsoleOutput(uuid, { length: 2 });
        if ((await d.getConsoleOutput(uuid)) === all) break;
        await sleep(250);
      }
      assert.ok(two.split('\n').filter((l) => l.length > 0).length <= 2);
      assert.ok(all.endsWith(two), 'the tail is the end of the whole log');
      assert.equal(await d.getConsoleOutput(uuid, { length: 0 }), '');
    });

    test('pause and unpause (idempotent)', testOpts, async () => {
      await d.pause(uuid);
      assert.equal(await powerState(uuid), PowerState.PAUSED);
      await d.pause(uuid);
      await d.unpause(uuid);
      assert.equal(await powerState(uuid), PowerState.RUNNING);
      await d.unpause(uuid);
      assert.equal(await powerState(uuid), PowerState.RUNNING);
    });

    test('suspend and resume keep the guest where it was', testOpts, async () => {
      if (!d.capabilities.supportsSuspend) return;
      await d.suspend(uuid);
      const info = await d.getInfo(uuid);
      assert.equal(info.powerState, PowerState.SUSPENDED);
      assert.equal(info.internalId, null, 'nothing runs while suspended');
      await rejectsWithCode(d.pause(uuid), 'InstanceInvalidState');
      await d.resume(uuid);
      assert.equal(await powerState(uuid), PowerState.RUNNING);
      const out = await d.getConsoleOutput(uuid);
      assert.equal(out.split(banner()).length - 1, boots, 'resume did not reboot the guest');
    });

    test('volume hot-plug: attach, refuse a taken device, detach', testOpts, async () => {
      const conn = await t.makeVolume(`vol-${uuid.slice(0, 8)}`, 8);
      const volumeId = randomUUID();
      await d.attachVolume(uuid, { volumeId, connectionInfo: conn, mountDevice: '/dev/vdb', bootIndex: null });
      await rejectsWithCode(d.attachVolume(uuid, { connectionInfo: conn, mountDevice: '/dev/vdb', bootIndex: null }), 'DeviceAlreadyAttached');
      let diag = await d.getDiagnostics(uuid);
      assert.ok(diag.disks.some((x) => x.role === 'volume' && x.device === '/dev/vdb'));
      await waitForConsole(uuid, 'block device added: vdb');
      await d.detachVolume(uuid, '/dev/vdb');
      diag = await d.getDiagnostics(uuid);
      assert.ok(!diag.disks.some((x) => x.device === '/dev/vdb'));
      await rejectsWithCode(d.detachVolume(uuid, '/dev/vdb'), 'DeviceNotFound');
      await waitForConsole(uuid, 'block device removed: vdb');
    });

    test('interface hot-plug: attach and detach a port', testOpts, async () => {
      const extra = randomUUID();
      await d.attachInterface(uuid, { portId: extra, mac: 'fa:16:3e:00:00:0a', ips: [] });
      await rejectsWithCode(d.attachInterface(uuid, { portId: extra, mac: 'fa:16:3e:00:00:0b', ips: [] }), 'DeviceAlreadyAttached');
      assert.ok((await d.getDiagnostics(uuid)).nics.some((n) => n.portId === extra));
      await d.detachInterface(uuid, extra);
      const nics = (await d.getDiagnostics(uuid)).nics;
      assert.ok(!nics.some((n) => n.portId === extra));
      assert.ok(nics.some((n) => n.portId === portId), 'the original port stays');
      await rejectsWithCode(d.detachInterface(uuid, extra), 'DeviceNotFound');
    });

    test('snapshot copies the root disk and leaves the guest running', testOpts, async () => {
      const target = join(t.scratchDir, `snap-${uuid.slice(0, 8)}.qcow2`);
      const r = await d.snapshot(uuid, target);
      assert.equal(r.path, target);
      assert.equal(r.format, 'qcow2');
      assert.ok(r.size > 0 && (await stat(target)).size === r.size);
      assert.ok(r.virtualSize > 0);
      await rejectsWithCode(d.snapshot(uuid, target), 'InvalidInstanceSpec');
      assert.equal(await powerState(uuid), PowerState.RUNNING);
    });

    test('VNC console of a running guest', testOpts, async () => {
      const vnc = await d.getVncConsole(uuid);
      assert.equal(typeof vnc.host, 'string');
      assert.ok(Number.isInteger(vnc.port) && vnc.port > 0 && vnc.port < 65536);
    });

    test('soft reboot boots the guest again', testOpts, async () => {
      await d.reboot(uuid, 'soft', { timeoutMs: timeout() });
      assert.equal(await powerState(uuid), PowerState.RUNNING);
      await waitForBoot(uuid);
    });

    test('power off (graceful), idempotent; refused operations while off', testOpts, async () => {
      await d.powerOff(uuid, { timeoutMs: timeout() });
      const info = await d.getInfo(uuid);
      assert.equal(info.powerState, PowerState.SHUTDOWN);
      assert.equal(info.internalId, null);
      await d.powerOff(uuid);
      await rejectsWithCode(d.pause(uuid), 'InstanceInvalidState');
      await rejectsWithCode(d.reboot(uuid, 'soft'), 'InstanceInvalidState');
      await rejectsWithCode(d.getVncConsole(uuid), 'InstanceInvalidState');
      assert.ok((await d.listInstanceUuids()).includes(uuid), 'a stopped guest is still listed');
      assert.ok(events.some((e) => e.uuid === uuid && e.transition === 'stopped'));
    });

    test('power on boots from the same disks', testOpts, async () => {
      await d.powerOn(uuid);
      assert.equal(await powerState(uuid), PowerState.RUNNING);
      await d.powerOn(uuid);
      await waitForBoot(uuid);
    });

    test('hard reboot', testOpts, async () => {
      await d.reboot(uuid, 'hard');
      assert.equal(await powerState(uuid), PowerState.RUNNING);
      await waitForBoot(uuid);
    });

    test('cold resize: grow and boot, revert, resize stopped and confirm, refuse to shrink', testOpts, async () => {
      if (!d.capabilities.supportsResize || d.resize === undefined || d.revertResize === undefined || d.confirmResize === undefined) return;
      const f = flavor();
      const bigger = { vcpus: f.vcpus + 1, memoryMb: f.memoryMb + 64, rootGb: f.rootGb + 1, ephemeralGb: 0, swapMb: 0, extraSpecs: {} };
      const used = (await d.getAvailableResource()).vcpusUsed;
      await d.resize(uuid, bigger);
      assert.equal(await powerState(uuid), PowerState.RUNNING);
      await waitForBoot(uuid);
      let diag = await d.getDiagnostics(uuid);
      assert.equal(diag.numCpus, f.vcpus + 1);
      assert.equal(diag.memoryMb, f.memoryMb + 64);
      assert.equal((await d.getAvailableResource()).vcpusUsed, used + 1);
      await rejectsWithCode(d.resize(uuid, bigger), 'InstanceInvalidState');

      await d.revertResize(uuid, { powerOn: false });
      assert.equal(await powerState(uuid), PowerState.SHUTDOWN);
      diag = await d.getDiagnostics(uuid);
      assert.equal(diag.numCpus, f.vcpus);
      assert.equal(diag.memoryMb, f.memoryMb);
      await rejectsWithCode(d.revertResize(uuid), 'InstanceInvalidState');

      await d.resize(uuid, bigger, { powerOn: false });
      assert.equal(await powerState(uuid), PowerState.SHUTDOWN);
      await d.confirmResize(uuid);
      await d.confirmResize(uuid);
      assert.equal((await d.getDiagnostics(uuid)).numCpus, f.vcpus + 1);
      await rejectsWithCode(d.resize(uuid, { ...bigger, rootGb: f.rootGb }), 'InvalidInstanceSpec');
      await rejectsWithCode(d.revertResize(uuid), 'InstanceInvalidState');
      await d.powerOn(uuid);
      await waitForBoot(uuid);
    });

    test('destroy removes everything, and is idempotent', testOpts, async () => {
      const before = await d.getAvailableResource();
      const vcpus = (await d.getDiagnostics(uuid)).numCpus;
      await d.destroy(uuid);
      assert.ok(!(await d.listInstanceUuids()).includes(uuid));
      await rejectsWithCode(d.getInfo(uuid), 'InstanceNotFound');
      await d.destroy(uuid);
      await t.assertNothingLeft?.(uuid);
      const after = await d.getAvailableResource();
      assert.equal(after.vcpusUsed, before.vcpusUsed - vcpus);
      await access(t.scratchDir);
    });
  });
}
