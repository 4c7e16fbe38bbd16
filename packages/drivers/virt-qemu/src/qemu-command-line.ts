/** Turns an InstanceDefinition into QEMU's argument array (and the QMP arguments for hot-plug). No I/O. */
import type { Accel } from './accel-probe.js';
import { isQ35, NIC_MODELS, Q35_ROOT_PORTS, VIDEO_MODELS, type DiskDef, type InstanceDefinition, type NicDef, type PciAddress } from './instance-definition.js';

/** Runtime settings of one launch. */
export interface LaunchSettings {
  readonly accel: Accel;
  readonly cpuModel: string;
  readonly qmpSocket: string;
  readonly pidFile: string;
  readonly consoleLog: string;
  readonly vnc: { readonly listen: string; readonly first: number; readonly last: number };
  /** Isolate user-mode networking (`restrict`). */
  readonly userNetworkRestrict: boolean;
  /** Disk sources that are block devices (opened with `host_device`, not `file`). */
  readonly blockDevices: ReadonlySet<string>;
  /** Start paused, waiting for an incoming migration stream (resume from suspend). */
  readonly incoming: boolean;
}

/** QEMU's option-value escaping: a comma inside a value is written twice. */
export function optValue(value: string): string {
  return value.replace(/,/g, ',,');
}

function pciProps(pci: PciAddress | null): Record<string, string> {
  if (pci === null) return {};
  return pci.addr === undefined ? { bus: pci.bus } : { bus: pci.bus, addr: pci.addr };
}

/** The `blockdev-add` arguments of a disk: a format node over a protocol node. */
export function blockdevArgs(disk: DiskDef, blockDevices: ReadonlySet<string>): Record<string, unknown> {
  const readOnly = disk.readOnly;
  const src = disk.source;
  if (src.kind === 'nbd') {
    return {
      driver: 'raw',
      'node-name': `drive-${disk.id}`,
      'read-only': readOnly,
      file: { driver: 'nbd', 'node-name': `file-${disk.id}`, 'read-only': readOnly, server: { type: 'inet', host: src.host, port: String(src.port) }, export: src.exportName },
    };
  }
  return {
    driver: src.format,
    'node-name': `drive-${disk.id}`,
    'read-only': readOnly,
    file: { driver: blockDevices.has(src.path) ? 'host_device' : 'file', 'node-name': `file-${disk.id}`, filename: src.path, 'read-only': readOnly },
  };
}

/** The `device_add` arguments of a disk. */
export function diskDeviceArgs(disk: DiskDef): Record<string, unknown> {
  const base: Record<string, unknown> = { id: `disk-${disk.id}`, drive: `drive-${disk.id}` };
  if (disk.bootIndex !== null) base.bootindex = disk.bootIndex;
  switch (disk.bus) {
    case 'virtio':
      return { driver: 'virtio-blk-pci', ...base, ...pciProps(disk.pci), ...(disk.serial !== null ? { serial: disk.serial } : {}) };
    case 'scsi':
      return { driver: disk.media === 'cdrom' ? 'scsi-cd' : 'scsi-hd', ...base, bus: 'scsi0.0', channel: 0, 'scsi-id': disk.scsiId ?? 0, lun: 0, ...(disk.serial !== null && disk.media === 'disk' ? { serial: disk.serial } : {}) };
    case 'ide':
    case 'sata':
      return { driver: disk.media === 'cdrom' ? 'ide-cd' : 'ide-hd', ...base, bus: disk.ide?.bus ?? 'ide.0', unit: disk.ide?.unit ?? 0, ...(disk.serial !== null ? { serial: disk.serial } : {}) };
  }
}

/** The `netdev_add` arguments of a NIC: its tap, or user-mode networking. */
export function netdevArgs(nic: NicDef, restrict: boolean): Record<string, unknown> {
  if (nic.tapName !== null) return { type: 'tap', id: `net-${nic.id}`, ifname: nic.tapName, script: 'no', downscript: 'no' };
  return { type: 'user', id: `net-${nic.id}`, restrict };
}

/** The `device_add` arguments of a NIC. */
export function nicDeviceArgs(nic: NicDef): Record<string, unknown> {
  const driver = NIC_MODELS[nic.model] ?? 'virtio-net-pci';
  const args: Record<string, unknown> = { driver, id: `nic-${nic.id}`, netdev: `net-${nic.id}`, mac: nic.mac, ...pciProps(nic.pci) };
  if (driver === 'virtio-net-pci' && nic.mtu !== null) args.host_mtu = nic.mtu;
  return args;
}

const json = (v: unknown): string => JSON.stringify(v);

/** QEMU's arguments (without the binary) for the guest. Daemonizes; QMP on a unix socket. */
export function buildQemuArgs(def: InstanceDefinition, s: LaunchSettings): string[] {
  const q35 = isQ35(def.machineType);
  const args: string[] = [
    '-name', `guest=${def.name},debug-threads=on`,
    '-uuid', def.uuid,
    '-machine', `${def.machineType},usb=off,dump-guest-core=off`,
    '-accel', s.accel,
    '-cpu', s.cpuModel,
    '-smp', `${def.vcpus},sockets=${def.topology.sockets},cores=${def.topology.cores},threads=${def.topology.threads}`,
    '-m', String(def.memoryMb),
    '-no-user-config',
    '-nodefaults',
    '-rtc', 'base=utc',
    '-boot', `strict=on,menu=${def.bootMenu ? 'on' : 'off'}`,
    '-action', 'panic=pause',
    '-msg', 'timestamp=on',
    '-chardev', `socket,id=qmp,path=${optValue(s.qmpSocket)},server=on,wait=off`,
    '-mon', 'chardev=qmp,mode=control',
    '-chardev', `file,id=serial0,path=${optValue(s.consoleLog)},append=on`,
    '-device', json({ driver: 'isa-serial', id: 'serial0', chardev: 'serial0' }),
    '-device', json({ driver: 'pvpanic', id: 'pvpanic0' }),
    '-pidfile', s.pidFile,
    '-daemonize',
  ];
  if (q35) {
    for (let i = 1; i <= Q35_ROOT_PORTS; i++) {
      const slot = 2 + Math.floor((i - 1) / 8);
      const fn = (i - 1) % 8;
      args.push('-device', json({ driver: 'pcie-root-port', id: `rp${i}`, bus: 'pcie.0', chassis: i, port: i, addr: `0x${slot.toString(16)}.${fn}`, ...(fn === 0 ? { multifunction: true } : {}) }));
    }
  }
  const video = VIDEO_MODELS[def.video] ?? null;
  if (video !== null) {
    args.push('-device', json({ driver: video, id: 'video0', bus: q35 ? 'pcie.0' : 'pci.0', addr: q35 ? '0x1' : '0x2' }));
    args.push('-display', 'none', '-vnc', `${s.vnc.listen.includes(':') ? `[${s.vnc.listen}]` : s.vnc.listen}:${s.vnc.first},to=${s.vnc.last}`);
  } else {
    args.push('-display', 'none');
  }
  if (def.scsiController !== null) args.push('-device', json({ driver: 'virtio-scsi-pci', id: 'scsi0', ...pciProps(def.scsiController) }));
  for (const disk of def.disks) {
    args.push('-blockdev', json(blockdevArgs(disk, s.blockDevices)));
    args.push('-device', json(diskDeviceArgs(disk)));
  }
  for (const nic of def.nics) {
    args.push('-netdev', json(netdevArgs(nic, s.userNetworkRestrict)));
    args.push('-device', json(nicDeviceArgs(nic)));
  }
  if (def.rng !== null) {
    args.push('-object', json({ 'qom-type': 'rng-random', id: 'rng0', filename: '/dev/urandom' }));
    args.push('-device', json({ driver: 'virtio-rng-pci', id: 'rng0-dev', rng: 'rng0', ...pciProps(def.rng) }));
  }
  if (s.incoming) args.push('-S', '-incoming', 'defer');
  return args;
}
