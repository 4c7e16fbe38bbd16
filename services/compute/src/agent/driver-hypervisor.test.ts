import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectionOf, loadDriverHypervisor } from './driver-hypervisor.js';
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
});
