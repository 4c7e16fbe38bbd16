// Planning a guest from a spawn request and the QEMU argument array built from it (pure, no QEMU).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SpawnRequest } from '@strata/virt';
import { buildQemuArgs, optValue, type LaunchSettings } from './qemu-command-line.js';
import { allocatePci, cpuTopology, planInstance } from './instance-definition.js';

const UUID = '0b6f3c52-1f0e-4f55-9a5e-1d2c3b4a5f60';
const PORT = '5e1a0c3d-2b4f-4e6a-8c9d-0f1e2d3c4b5a';
const paths = { root: '/srv/i/disk', ephemeral: '/srv/i/disk.eph0', swap: '/srv/i/disk.swap', configDrive: '/srv/i/disk.config' };
const settings: LaunchSettings = {
  accel: 'tcg',
  cpuModel: 'qemu64',
  qmpSocket: '/srv/i/qmp.sock',
  pidFile: '/srv/i/qemu.pid',
  consoleLog: '/srv/i/console.log',
  vnc: { listen: '127.0.0.1', first: 0, last: 99 },
  userNetworkRestrict: false,
  blockDevices: new Set(),
  incoming: false,
};

function request(overrides: { imageProperties?: Record<string, string>; extraSpecs?: Record<string, string>; vcpus?: number } & Partial<SpawnRequest> = {}): SpawnRequest {
  const { imageProperties, extraSpecs, vcpus, ...rest } = overrides;
  return {
    instance: { uuid: UUID, name: 'instance-0000002a', vcpus: vcpus ?? 2, memoryMb: 512, rootGb: 1, ephemeralGb: 1, swapMb: 256, extraSpecs: extraSpecs ?? {}, imageProperties: imageProperties ?? {} },
    image: { path: '/var/cache/images/base', format: 'qcow2' },
    networkInfo: [{ portId: PORT, mac: 'fa:16:3e:aa:bb:cc', tapName: 'tap5e1a0c3d-2b', bridge: 'brq1234', mtu: 1450, ips: [] }],
    blockDeviceInfo: [{ volumeId: '9f8e7d6c-5b4a-4321-8765-43210fedcba9', connectionInfo: { driverVolumeType: 'nbd', host: '10.0.0.9', port: 10809, exportName: 'volume-9f8e' }, mountDevice: '/dev/vdb', bootIndex: null }],
    configDrive: { metaData: { hostname: 'vm1' } },
    ...rest,
  };
}

/** The JSON values given to an option, parsed. */
function jsonArgs(args: string[], option: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  args.forEach((a, i) => {
    const v = args[i + 1];
    if (a === option && v !== undefined && v.startsWith('{')) out.push(JSON.parse(v) as Record<string, unknown>);
  });
  return out;
}

function optionValue(args: string[], option: string): string | undefined {
  const i = args.indexOf(option);
  return i < 0 ? undefined : args[i + 1];
}

describe('planInstance + buildQemuArgs', () => {
  test('a default guest: pc, virtio disks in order, config drive on IDE, tap NIC, daemonized with QMP', () => {
    const def = planInstance(request(), { machineType: 'pc' }, paths, new Date(0));
    assert.deepEqual(
      def.disks.map((d) => [d.id, d.role, d.device, d.bus, d.pci?.addr ?? d.ide?.bus]),
      [
        ['root', 'root', '/dev/vda', 'virtio', '0x3'],
        ['eph0', 'ephemeral', '/dev/vdb', 'virtio', '0x4'],
        ['swap', 'swap', '/dev/vdc', 'virtio', '0x5'],
        ['vol-vdb', 'volume', '/dev/vdb', 'virtio', '0x6'],
        ['config', 'config-drive', '/dev/hda', 'ide', 'ide.0'],
      ],
    );
    const args = buildQemuArgs(def, settings);
    assert.equal(optionValue(args, '-machine'), 'pc,usb=off,dump-guest-core=off');
    assert.equal(optionValue(args, '-smp'), '2,sockets=2,cores=1,threads=1');
    assert.equal(optionValue(args, '-uuid'), UUID);
    assert.equal(optionValue(args, '-name'), 'guest=instance-0000002a,debug-threads=on');
    assert.ok(args.includes('-daemonize') && args.includes('-nodefaults'));
    assert.equal(optionValue(args, '-chardev'), 'socket,id=qmp,path=/srv/i/qmp.sock,server=on,wait=off');
    assert.equal(optionValue(args, '-vnc'), '127.0.0.1:0,to=99');
    const blockdevs = jsonArgs(args, '-blockdev');
    assert.deepEqual(blockdevs[0], { driver: 'qcow2', 'node-name': 'drive-root', 'read-only': false, file: { driver: 'file', 'node-name': 'file-root', filename: '/srv/i/disk', 'read-only': false } });
    assert.deepEqual(blockdevs[3], {
      driver: 'raw',
      'node-name': 'drive-vol-vdb',
      'read-only': false,
      file: { driver: 'nbd', 'node-name': 'file-vol-vdb', 'read-only': false, server: { type: 'inet', host: '10.0.0.9', port: '10809' }, export: 'volume-9f8e' },
    });
    const devices = jsonArgs(args, '-device');
    assert.deepEqual(devices.find((d) => d.id === 'disk-root'), { driver: 'virtio-blk-pci', id: 'disk-root', drive: 'drive-root', bootindex: 0, bus: 'pci.0', addr: '0x3' });
    assert.deepEqual(devices.find((d) => d.id === 'disk-vol-vdb')?.serial, '9f8e7d6c-5b4a-4321-8');
    assert.deepEqual(devices.find((d) => d.id === 'disk-config'), { driver: 'ide-cd', id: 'disk-config', drive: 'drive-config', bus: 'ide.0', unit: 0 });
    assert.deepEqual(jsonArgs(args, '-netdev'), [{ type: 'tap', id: `net-${PORT}`, ifname: 'tap5e1a0c3d-2b', script: 'no', downscript: 'no' }]);
    assert.deepEqual(devices.find((d) => d.id === `nic-${PORT}`), { driver: 'virtio-net-pci', id: `nic-${PORT}`, netdev: `net-${PORT}`, mac: 'fa:16:3e:aa:bb:cc', bus: 'pci.0', addr: '0x7', host_mtu: 1450 });
    assert.ok(!args.includes('-incoming'));
  });

  test('image properties: IDE disks, e1000, no video, boot menu, q35 with root ports', () => {
    const ide = buildQemuArgs(planInstance(request({ imageProperties: { hw_disk_bus: 'ide', hw_vif_model: 'e1000', hw_video_model: 'none', hw_boot_menu: 'true' }, blockDeviceInfo: [] }), { machineType: 'pc' }, paths, new Date(0)), settings);
    const devs = jsonArgs(ide, '-device');
    assert.deepEqual(
      devs.filter((d) => d.driver === 'ide-hd').map((d) => [d.id, d.bus, d.unit]),
      [
        ['disk-root', 'ide.0', 0],
        ['disk-eph0', 'ide.0', 1],
        ['disk-swap', 'ide.1', 0],
      ],
    );
    assert.equal(devs.find((d) => d.id === 'disk-config')?.bus, 'ide.1');
    assert.equal(devs.find((d) => d.id === `nic-${PORT}`)?.driver, 'e1000');
    assert.equal(devs.find((d) => d.id === `nic-${PORT}`)?.host_mtu, undefined);
    assert.ok(!ide.includes('-vnc') && !devs.some((d) => d.id === 'video0'));
    assert.equal(optionValue(ide, '-boot'), 'strict=on,menu=on');

    const q35 = buildQemuArgs(planInstance(request({ imageProperties: { hw_machine_type: 'q35' } }), { machineType: 'pc' }, paths, new Date(0)), settings);
    const qdevs = jsonArgs(q35, '-device');
    assert.equal(qdevs.filter((d) => d.driver === 'pcie-root-port').length, 16);
    assert.equal(qdevs.find((d) => d.id === 'disk-root')?.bus, 'rp1');
    assert.equal(qdevs.find((d) => d.id === 'disk-config')?.driver, 'ide-cd');
    assert.equal(qdevs.find((d) => d.id === 'video0')?.bus, 'pcie.0');
  });

  test('SCSI disks get a virtio-scsi controller; resume starts paused for the incoming stream', () => {
    const args = buildQemuArgs(planInstance(request({ imageProperties: { hw_disk_bus: 'scsi' } }), { machineType: 'pc' }, paths, new Date(0)), { ...settings, incoming: true });
    const devs = jsonArgs(args, '-device');
    assert.equal(devs.find((d) => d.id === 'scsi0')?.driver, 'virtio-scsi-pci');
    assert.deepEqual(devs.find((d) => d.id === 'disk-root'), { driver: 'scsi-hd', id: 'disk-root', drive: 'drive-root', bootindex: 0, bus: 'scsi0.0', channel: 0, 'scsi-id': 0, lun: 0 });
    assert.deepEqual(args.slice(-3), ['-S', '-incoming', 'defer']);
  });

  test('user-mode networking for a port without a tap; block devices open as host_device', () => {
    const def = planInstance(request({ networkInfo: [{ portId: PORT, mac: 'fa:16:3e:aa:bb:cc', ips: [] }], blockDeviceInfo: [{ connectionInfo: { driverVolumeType: 'file', path: '/dev/vg/volume-1' }, mountDevice: '/dev/vdb', bootIndex: null }] }), { machineType: 'pc' }, paths, new Date(0));
    const args = buildQemuArgs(def, { ...settings, userNetworkRestrict: true, blockDevices: new Set(['/dev/vg/volume-1']) });
    assert.deepEqual(jsonArgs(args, '-netdev'), [{ type: 'user', id: `net-${PORT}`, restrict: true }]);
    assert.equal((jsonArgs(args, '-blockdev').find((b) => b['node-name'] === 'drive-vol-vdb')?.file as Record<string, unknown>).driver, 'host_device');
  });

  test('boot from volume: the volume is the first disk and boots', () => {
    const def = planInstance(
      request({ image: null, blockDeviceInfo: [{ connectionInfo: { driverVolumeType: 'file', path: '/srv/vol/v1', format: 'qcow2' }, mountDevice: '/dev/vda', bootIndex: 0 }] }),
      { machineType: 'pc' },
      paths,
      new Date(0),
    );
    assert.deepEqual(def.disks[0], { id: 'vol-vda', role: 'volume', device: '/dev/vda', bus: 'virtio', media: 'disk', source: { kind: 'file', path: '/srv/vol/v1', format: 'qcow2' }, readOnly: false, bootIndex: 0, serial: null, pci: { bus: 'pci.0', addr: '0x3' }, ide: null, scsiId: null });
    assert.ok(!def.disks.some((d) => d.role === 'root'));
  });

  test('values it cannot honour are refused', () => {
    assert.throws(() => planInstance(request({ imageProperties: { hw_machine_type: 'virt' } }), { machineType: 'pc' }, paths, new Date(0)), /hw_machine_type virt/);
    assert.throws(() => planInstance(request({ imageProperties: { hw_vif_model: 'vmxnet3' } }), { machineType: 'pc' }, paths, new Date(0)), /hw_vif_model vmxnet3/);
    assert.throws(() => planInstance(request({ imageProperties: { hw_disk_bus: 'usb' } }), { machineType: 'pc' }, paths, new Date(0)), /hw_disk_bus usb/);
    assert.throws(() => planInstance(request({ extraSpecs: { 'hw:cpu_sockets': '3' } }), { machineType: 'pc' }, paths, new Date(0)), /must equal 2 vCPUs/);
  });

  test('CPU topology from flavor extra specs and image properties', () => {
    assert.deepEqual(cpuTopology(request({ vcpus: 8, extraSpecs: { 'hw:cpu_sockets': '2' } })), { sockets: 2, cores: 4, threads: 1 });
    assert.deepEqual(cpuTopology(request({ vcpus: 8, imageProperties: { hw_cpu_cores: '2', hw_cpu_threads: '2' } })), { sockets: 2, cores: 2, threads: 2 });
    assert.deepEqual(cpuTopology(request({ vcpus: 4 })), { sockets: 4, cores: 1, threads: 1 });
  });

  test('PCI slots run out after 29 devices on pc', () => {
    let def = planInstance(request({ blockDeviceInfo: [], networkInfo: [] }), { machineType: 'pc' }, paths, new Date(0));
    for (let i = 0; i < 26; i++) def = { ...def, nics: [...def.nics, { id: String(i), portId: String(i), mac: 'fa:16:3e:00:00:00', tapName: null, createdTap: false, bridge: null, mtu: null, model: 'virtio', pci: allocatePci(def) }] };
    assert.throws(() => allocatePci(def), /no free PCI slot/);
  });

  test('commas in option values are doubled', () => {
    assert.equal(optValue('/a,b/c'), '/a,,b/c');
  });
});
