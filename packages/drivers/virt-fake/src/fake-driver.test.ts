// FakeDriver: the shared conformance suite, injected failures, guest-side power changes, scale.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PowerState, type LifecycleEvent, type SpawnRequest } from '@strata/virt';
import { runComputeDriverConformance } from '@strata/virt/conformance';
import { FakeDriver } from './index.js';

runComputeDriverConformance(
  async () => {
    const driver = await FakeDriver.create({ vcpus: 8, memoryMb: 8192, localGb: 100 });
    const scratchDir = await mkdtemp(join(tmpdir(), 'strata-fake-conformance-'));
    return {
      driver,
      image: { path: '/var/lib/strata/images/cirros.qcow2', format: 'qcow2' },
      scratchDir,
      bootTimeoutMs: 2000,
      makeVolume: async (name) => ({ driverVolumeType: 'file', path: join(scratchDir, name) }),
      breakSpawn: (request) => {
        driver.failNext('spawn', { uuid: request.instance.uuid });
        return request;
      },
      dispose: async () => {
        for (const id of await driver.listInstanceUuids()) await driver.destroy(id);
        await rm(scratchDir, { recursive: true, force: true });
      },
    };
  },
  { name: 'fake' },
);

function request(uuid = randomUUID()): SpawnRequest {
  return {
    instance: { uuid, name: 'instance-00000001', vcpus: 2, memoryMb: 512, rootGb: 1, ephemeralGb: 0, swapMb: 0, extraSpecs: {}, imageProperties: {} },
    image: { path: '/images/base.qcow2', format: 'qcow2' },
    networkInfo: [],
    blockDeviceInfo: [],
  };
}

describe('FakeDriver', () => {
  test('failNext fails the next calls only, for the given guest, before changing anything', async () => {
    const d = await FakeDriver.create();
    await d.init('h1');
    const a = request();
    d.failNext('spawn', { times: 2 });
    await assert.rejects(d.spawn(a), (e: unknown) => (e as { code?: string }).code === 'HypervisorError');
    await assert.rejects(d.spawn(a));
    assert.deepEqual(await d.listInstanceUuids(), []);
    await d.spawn(a);
    const b = request();
    await d.spawn(b);
    d.failNext('powerOff', { uuid: b.instance.uuid, error: new Error('boom') });
    await d.powerOff(a.instance.uuid);
    await assert.rejects(d.powerOff(b.instance.uuid), /boom/);
    assert.equal((await d.getInfo(b.instance.uuid)).powerState, PowerState.RUNNING);
    await d.powerOff(b.instance.uuid);
    assert.equal((await d.getInfo(b.instance.uuid)).powerState, PowerState.SHUTDOWN);
  });

  test('failures from the config are active from the start', async () => {
    const d = await FakeDriver.create({ failures: [{ operation: 'spawn' }] });
    await assert.rejects(d.spawn(request()));
    await d.spawn(request());
  });

  test('a guest that powers itself off is reported to the VirtHost', async () => {
    const events: LifecycleEvent[] = [];
    const d = await FakeDriver.create();
    await d.init('h1', { virtHost: { lifecycleEvent: (e) => events.push(e) } });
    const r = request();
    await d.spawn(r);
    d.simulateGuestPowerState(r.instance.uuid, PowerState.SHUTDOWN);
    assert.equal((await d.getInfo(r.instance.uuid)).powerState, PowerState.SHUTDOWN);
    assert.deepEqual(
      events.map((e) => e.transition),
      ['started', 'stopped'],
    );
  });

  test('the admin password is not kept', async () => {
    const d = await FakeDriver.create();
    const r = { ...request(), configDrive: { metaData: { hostname: 'vm1' } }, adminPassword: 's3cret-pass' };
    await d.spawn(r);
    assert.doesNotMatch(JSON.stringify(await d.getDiagnostics(r.instance.uuid)), /s3cret/);
    assert.doesNotMatch(await d.getConsoleOutput(r.instance.uuid), /s3cret/);
    assert.match(await d.getConsoleOutput(r.instance.uuid), /hostname: vm1/);
  });

  test('scale: 2,000 hosts with 5 guests each, resources add up', async () => {
    const started = Date.now();
    const hosts: FakeDriver[] = [];
    for (let i = 0; i < 2000; i++) {
      const d = await FakeDriver.create({ vcpus: 32, memoryMb: 65536, localGb: 500 });
      await d.init(`host-${i}`);
      for (let j = 0; j < 5; j++) await d.spawn(request());
      hosts.push(d);
    }
    const r = await hosts[1234]?.getAvailableResource();
    assert.equal(r?.hypervisorHostname, 'host-1234');
    assert.equal(r?.vcpusUsed, 10);
    assert.equal(r?.memoryMbUsed, 2560);
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  });
});
