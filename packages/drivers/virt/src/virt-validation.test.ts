// Name and path checks every driver runs before passing values to QEMU, `ip` or the file system.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertBridgeName,
  assertConnectionInfo,
  assertInstanceUuid,
  assertMac,
  assertMountDevice,
  assertSafePath,
  assertSpawnRequest,
  assertTapName,
  InvalidInstanceSpec,
  PowerState,
  powerStateName,
  type SpawnRequest,
} from './index.js';

const UUID = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';

function base(): SpawnRequest {
  return {
    instance: { uuid: UUID, name: 'instance-00000001', vcpus: 1, memoryMb: 512, rootGb: 1, ephemeralGb: 0, swapMb: 0, extraSpecs: {}, imageProperties: {} },
    image: { path: '/var/lib/strata/_base/abc', format: 'qcow2' },
    networkInfo: [],
    blockDeviceInfo: [],
  };
}

function rejects(fn: () => void, field: string): void {
  assert.throws(fn, (e: unknown) => e instanceof InvalidInstanceSpec && e.field === field && e.status === 400 && e.code === 'InvalidInstanceSpec');
}

describe('virt validation', () => {
  test('uuids: lowercase RFC 4122 only', () => {
    assertInstanceUuid(UUID);
    for (const bad of [UUID.toUpperCase(), `${UUID}x`, '../etc', '', 'x'.repeat(36), `${UUID.slice(0, 35)}/`]) rejects(() => assertInstanceUuid(bad), 'uuid');
  });

  test('tap names: tap + up to 11 of [0-9a-f-]', () => {
    for (const ok of ['tap5e1a0c3d-2b', 'tapa', 'tap0123456789a']) assertTapName(ok);
    for (const bad of ['eth0', 'tap', 'tap5e1a0c3d-2bx', 'TAPabc', 'tapABC', 'tap a', 'tap;ls', 'tap../x', 'vnet0']) rejects(() => assertTapName(bad), 'tapName');
  });

  test('bridge names: at most 15 characters, no spaces or slashes', () => {
    for (const ok of ['brq5e1a0c3d-2b', 'br-int', 'virbr0', 'br.100']) assertBridgeName(ok);
    for (const bad of ['', 'a'.repeat(16), 'br 0', 'br/0', '-br', 'br;x']) rejects(() => assertBridgeName(bad), 'bridge');
  });

  test('MACs: lowercase unicast', () => {
    assertMac('fa:16:3e:00:11:22');
    for (const bad of ['FA:16:3E:00:11:22', 'ff:ff:ff:ff:ff:ff', '01:00:5e:00:00:01', 'fa-16-3e-00-11-22', 'fa:16:3e:00:11']) rejects(() => assertMac(bad), 'mac');
  });

  test('paths: absolute, normalized, no control characters', () => {
    assertSafePath('/var/lib/strata/instances');
    for (const bad of ['relative', '/a/../b', '/a//b', '/a/', '/a\nb', '/a\u0000b', '', `/${'a'.repeat(4096)}`]) rejects(() => assertSafePath(bad), 'path');
  });

  test('mount devices', () => {
    for (const ok of ['/dev/vdb', '/dev/sdc', '/dev/hda', '/dev/xvdb', '/dev/vdaa']) assertMountDevice(ok);
    for (const bad of ['vdb', '/dev/vdb1', '/dev/../vdb', '/dev/VDB', '/dev/nbd0', '/dev/vdb;x']) rejects(() => assertMountDevice(bad), 'mountDevice');
  });

  test('connection info: file paths, NBD hosts, ports and export names', () => {
    assertConnectionInfo({ driverVolumeType: 'file', path: '/srv/volumes/volume-1', format: 'qcow2' });
    assertConnectionInfo({ driverVolumeType: 'nbd', host: 'storage-1.example', port: 10809, exportName: 'volume-3f2504e0' });
    assertConnectionInfo({ driverVolumeType: 'nbd', host: 'fd00::1', port: 1, exportName: 'v' });
    rejects(() => assertConnectionInfo({ driverVolumeType: 'nbd', host: 'a b', port: 10809, exportName: 'v' }), 'connectionInfo.host');
    rejects(() => assertConnectionInfo({ driverVolumeType: 'nbd', host: 'h', port: 70000, exportName: 'v' }), 'connectionInfo.port');
    rejects(() => assertConnectionInfo({ driverVolumeType: 'nbd', host: 'h', port: 1, exportName: 'v,file=/etc/passwd' }), 'connectionInfo.exportName');
    rejects(() => assertConnectionInfo({ driverVolumeType: 'iscsi' } as never), 'connectionInfo.driverVolumeType');
  });

  test('spawn requests: duplicates, boot source, sizes, config drive', () => {
    assertSpawnRequest(base());
    const port = { portId: '6f2504e0-4f89-41d3-9a0c-0305e82c3301', mac: 'fa:16:3e:00:00:01', ips: [] };
    rejects(() => assertSpawnRequest({ ...base(), networkInfo: [port, { ...port, mac: 'fa:16:3e:00:00:02' }] }), 'networkInfo[1].portId');
    rejects(() => assertSpawnRequest({ ...base(), networkInfo: [{ ...port, bridge: 'br0' }] }), 'networkInfo[0].bridge');
    rejects(() => assertSpawnRequest({ ...base(), networkInfo: [{ ...port, ips: [{ address: '10.0.0.300', version: 4 }] }] }), 'networkInfo[0].ips[0].address');
    const vol = { connectionInfo: { driverVolumeType: 'file' as const, path: '/srv/v1' }, mountDevice: '/dev/vdb', bootIndex: 0 };
    rejects(() => assertSpawnRequest({ ...base(), blockDeviceInfo: [vol] }), 'image');
    assertSpawnRequest({ ...base(), image: null, blockDeviceInfo: [vol] });
    rejects(() => assertSpawnRequest({ ...base(), image: null, blockDeviceInfo: [vol, { ...vol, mountDevice: '/dev/vdb' }] }), 'blockDeviceInfo[1].mountDevice');
    rejects(() => assertSpawnRequest({ ...base(), instance: { ...base().instance, vcpus: 0 } }), 'instance.vcpus');
    rejects(() => assertSpawnRequest({ ...base(), instance: { ...base().instance, rootGb: 1.5 } }), 'instance.rootGb');
    rejects(() => assertSpawnRequest({ ...base(), instance: { ...base().instance, extraSpecs: { 'hw:cpu_sockets': 2 } as never } }), 'instance.extraSpecs.hw:cpu_sockets');
    rejects(() => assertSpawnRequest({ ...base(), configDrive: { metaData: {}, userData: 'not base64!' } }), 'configDrive.userData');
    rejects(() => assertSpawnRequest({ ...base(), image: { path: '/x', format: 'vmdk' as never } }), 'image.format');
  });

  test("power states are nova's numbers and names", () => {
    assert.deepEqual(Object.values(PowerState), [0, 1, 3, 4, 6, 7]);
    assert.equal(powerStateName(PowerState.SHUTDOWN), 'shutdown');
    assert.equal(powerStateName(PowerState.NOSTATE), 'pending');
  });
});
