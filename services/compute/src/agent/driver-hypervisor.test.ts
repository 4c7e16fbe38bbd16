import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { configDriveFor, connectionOf, loadDriverHypervisor, vifOf } from './driver-hypervisor.js';
import type { GuestSpec } from './hypervisor.js';

describe('DriverHypervisor over the packages/drivers ComputeDriver', () => {
  test("cinder connection_info maps to the driver's ConnectionInfo", () => {
    assert.deepEqual(connectionOf({ driver_volume_type: 'file', data: { path: '/v/1', format: 'raw' } }), { driverVolumeType: 'file', path: '/v/1', format: 'raw' });
    assert.deepEqual(connectionOf({ driver_volume_type: 'nbd', data: { host: 'h', port: 10809, export_name: 'v1' } }), { driverVolumeType: 'nbd', host: 'h', port: 10809, exportName: 'v1' });
  });

  test('the fake driver package spawns, powers and destroys a guest through the adapter', async (t) => {
    const hv = await loadDriverHypervisor('fake', 'host-a', { vcpus: 8, memoryMb: 8192, localGb: 100 });
    if (hv === undefined) return t.skip('@strata/virt-fake is not built');
    const dir = mkdtempSync(join(tmpdir(), 'strata-dh-'));
    const image = join(dir, 'img');
    writeFileSync(image, Buffer.alloc(1024));
    const spec: GuestSpec = { instanceId: '11111111-1111-4111-8111-111111111111', name: 'vm1', vcpus: 1, memoryMb: 512, rootGb: 1, imagePath: image, imageId: 'i', imageFormat: 'raw', ephemeralGb: 0, swapMb: 0, extraSpecs: {}, ports: [], volumes: [], userData: null, metadata: {}, keyData: null };
    assert.equal((await hv.resources()).vcpus, 8);
    await hv.spawn(spec);
    await hv.powerOff(spec.instanceId);
    await hv.powerOn(spec.instanceId);
    await hv.reboot(spec.instanceId, 'HARD');
    assert.match(await hv.consoleOutput(spec.instanceId), /vm1/);
    await hv.destroy(spec.instanceId);
    await hv.close();
  });

  test('ports bound by the linuxbridge backend get the tap, bridge and MTU it expects; others none', () => {
    const port = { portId: '0123456789ab-cdef-4000-8000-000000000000', macAddress: 'fa:16:3e:00:00:01', networkId: 'abcdef012345-6789-4000-8000-000000000000', ips: ['10.0.0.5', 'fd00::5'] };
    assert.deepEqual(vifOf({ ...port, binding: { vifType: 'bridge', vifDetails: { port_filter: true }, mtu: 1450 } }), {
      portId: port.portId,
      mac: port.macAddress,
      ips: [
        { address: '10.0.0.5', version: 4 },
        { address: 'fd00::5', version: 6 },
      ],
      tapName: 'tap0123456789a',
      bridge: 'brqabcdef01234',
      mtu: 1450,
    });
    assert.equal(vifOf({ ...port, binding: { vifType: 'bridge', vifDetails: { bridge_name: 'br-test' } } }).bridge, 'br-test');
    assert.equal(vifOf({ ...port, binding: { vifType: 'bridge', vifDetails: { bridge_name: 'bad name; rm' } } }).bridge, 'brqabcdef01234', 'an unsafe name from neutron is not passed on');
    for (const binding of [undefined, { vifType: 'other', vifDetails: {} }, { vifType: 'unbound', vifDetails: {} }]) {
      const v = vifOf({ ...port, ...(binding !== undefined ? { binding } : {}) });
      assert.equal(v.tapName, undefined, 'no tap: the driver uses user-mode networking');
    }
  });

  test("the config drive carries the guest's hostname, name, keys, metadata and user data", () => {
    const spec: GuestSpec = { instanceId: '22222222-2222-4222-8222-222222222222', name: 'web-1', displayName: 'Web 1', vcpus: 1, memoryMb: 512, rootGb: 1, imagePath: null, imageId: 'img', imageFormat: 'qcow2', ephemeralGb: 0, swapMb: 0, extraSpecs: {}, ports: [{ portId: 'p1', macAddress: 'fa:16:3e:00:00:02', networkId: 'n1', ips: ['10.0.0.6'] }], volumes: [], userData: Buffer.from('#!/bin/sh\necho hi\n').toString('base64'), metadata: { role: 'web' }, keyData: 'ssh-ed25519 AAAA test', keyName: 'k1', projectId: 'proj' };
    const drive = configDriveFor(spec);
    assert.equal(drive.metaData.uuid, spec.instanceId);
    assert.equal(drive.metaData.hostname, 'web-1');
    assert.equal(drive.metaData.name, 'Web 1');
    assert.equal(drive.metaData.project_id, 'proj');
    assert.deepEqual(drive.metaData.public_keys, { k1: 'ssh-ed25519 AAAA test' });
    assert.deepEqual(drive.metaData.meta, { role: 'web' });
    assert.equal(drive.userData, spec.userData);
    assert.ok(Array.isArray((drive.networkData as { links?: unknown[] }).links));
  });

  test('power state, guests, power change events and snapshots through the adapter (fake driver)', async (t) => {
    const hv = await loadDriverHypervisor('fake', 'host-b', { vcpus: 8, memoryMb: 8192, localGb: 100 }, { forceConfigDrive: true });
    if (hv === undefined) return t.skip('@strata/virt-fake is not built');
    const dir = mkdtempSync(join(tmpdir(), 'strata-dh-'));
    const image = join(dir, 'img');
    writeFileSync(image, Buffer.alloc(1024));
    const id = '33333333-3333-4333-8333-333333333333';
    const changes: string[] = [];
    hv.onPowerChange((i) => changes.push(i));
    await hv.spawn({ instanceId: id, name: 'vm3', vcpus: 1, memoryMb: 512, rootGb: 1, imagePath: image, imageId: 'i', imageFormat: 'raw', ephemeralGb: 0, swapMb: 0, extraSpecs: {}, ports: [], volumes: [], userData: null, metadata: {}, keyData: null, imageProperties: { hw_disk_bus: 'virtio' } });
    assert.equal(await hv.powerState(id), 1);
    assert.deepEqual(await hv.guests(), [id]);
    await hv.powerOff(id);
    assert.equal(await hv.powerState(id), 4);
    assert.ok(changes.includes(id), 'the driver reported the change');
    const target = join(dir, 'snap.qcow2');
    const { size } = await hv.snapshot(id, target, 'qcow2');
    assert.ok(size > 0 && existsSync(target));
    await hv.destroy(id);
    assert.equal(await hv.powerState(id), 0, 'unknown guests have no state');
    await hv.close();
  });
});
