/**
 * A guest's persisted definition (what libvirt keeps as domain XML): machine, CPUs, memory and
 * every device with its fixed bus address, so a restart, resume or adoption sees the same machine.
 */
import type { BlockDeviceInfo, DiskBus, DiskRole, ImageFormat, SpawnRequest, VifInfo } from '@strata/virt';
import { ImageUnacceptable, InvalidInstanceSpec } from '@strata/virt';
import { MACHINE_TYPE_RE } from './qemu-driver-config.js';

/** Where a PCI device sits: a slot on the root bus (pc), or a root port of its own (q35). */
export interface PciAddress {
  readonly bus: string;
  /** Slot on `bus` (`0x5`); absent behind a root port. */
  readonly addr?: string;
}

/** Where a disk's data comes from. */
export type DiskSource =
  | { readonly kind: 'file'; readonly path: string; readonly format: ImageFormat }
  | { readonly kind: 'nbd'; readonly host: string; readonly port: number; readonly exportName: string };

/** A disk of the guest. */
export interface DiskDef {
  /** QEMU ids derive from it: node `drive-<id>`, device `disk-<id>`. `root`, `eph0`, `swap`, `config`, `vol-vdb`. */
  readonly id: string;
  readonly role: DiskRole;
  /** The name the guest is expected to use (`/dev/vda`); nova's mount device for volumes. */
  readonly device: string;
  readonly bus: DiskBus;
  readonly media: 'disk' | 'cdrom';
  readonly source: DiskSource;
  readonly readOnly: boolean;
  readonly bootIndex: number | null;
  /** Serial number shown to the guest (volume id, 20 characters as virtio-blk allows). */
  readonly serial: string | null;
  /** virtio and SCSI controllers: the PCI address. */
  readonly pci: PciAddress | null;
  /** IDE/SATA: bus and unit (`ide.1`, 0). */
  readonly ide: { readonly bus: string; readonly unit: number } | null;
  /** SCSI: target id on the guest's virtio-scsi controller. */
  readonly scsiId: number | null;
}

/** NIC models the driver emulates (image `hw_vif_model`) and their QEMU devices. */
export const NIC_MODELS: Readonly<Record<string, string>> = Object.freeze({
  virtio: 'virtio-net-pci',
  e1000: 'e1000',
  e1000e: 'e1000e',
  rtl8139: 'rtl8139',
  ne2k_pci: 'ne2k_pci',
  pcnet: 'pcnet',
});

/** A NIC of the guest. */
export interface NicDef {
  /** QEMU ids derive from it: netdev `net-<id>`, device `nic-<id>`. */
  readonly id: string;
  readonly portId: string;
  readonly mac: string;
  /** Host tap, or null for user-mode networking. */
  readonly tapName: string | null;
  /** The driver created the tap (and so removes it). */
  readonly createdTap: boolean;
  readonly bridge: string | null;
  readonly mtu: number | null;
  /** Key of NIC_MODELS. */
  readonly model: string;
  readonly pci: PciAddress;
}

/** Video models (image `hw_video_model`) and their QEMU devices; `none` has none. */
export const VIDEO_MODELS: Readonly<Record<string, string | null>> = Object.freeze({
  vga: 'VGA',
  std: 'VGA',
  cirrus: 'cirrus-vga',
  virtio: 'virtio-vga',
  none: null,
});

/** Everything needed to launch (and relaunch) a guest. Versioned: 1 - first version. */
export interface InstanceDefinition {
  readonly version: 1;
  readonly uuid: string;
  readonly name: string;
  readonly vcpus: number;
  readonly memoryMb: number;
  readonly machineType: string;
  readonly topology: { readonly sockets: number; readonly cores: number; readonly threads: number };
  /** Key of VIDEO_MODELS. */
  readonly video: string;
  readonly bootMenu: boolean;
  /** PCI address of the virtio-rng device, or null without one. */
  readonly rng: PciAddress | null;
  /** PCI address of the virtio-scsi controller, or null without SCSI disks. */
  readonly scsiController: PciAddress | null;
  /** Bus of the config drive and cdroms. */
  readonly cdromBus: DiskBus;
  /** Bus of volumes without their own (image `hw_disk_bus`). */
  readonly defaultDiskBus: DiskBus;
  /** NIC model of ports (image `hw_vif_model`), also for hot-plugged ones; a key of NIC_MODELS. */
  readonly vifModel: string;
  readonly disks: readonly DiskDef[];
  readonly nics: readonly NicDef[];
  readonly createdAt: string;
}

/** q35 guests get this many PCIe root ports (one per device, hot-plug included). */
export const Q35_ROOT_PORTS = 16;

/** True for q35 machine types. */
export function isQ35(machineType: string): boolean {
  return machineType === 'q35' || machineType.startsWith('pc-q35-');
}

/** A free PCI address in `def` (pc: slots 3-31 of pci.0; q35: a free root port). */
export function allocatePci(def: Pick<InstanceDefinition, 'machineType' | 'disks' | 'nics' | 'rng' | 'scsiController'>): PciAddress {
  const used = new Set<string>();
  const mark = (a: PciAddress | null): void => {
    if (a !== null) used.add(`${a.bus}/${a.addr ?? ''}`);
  };
  for (const d of def.disks) mark(d.pci);
  for (const n of def.nics) mark(n.pci);
  mark(def.rng);
  mark(def.scsiController);
  if (isQ35(def.machineType)) {
    for (let i = 1; i <= Q35_ROOT_PORTS; i++) if (!used.has(`rp${i}/`)) return { bus: `rp${i}` };
  } else {
    for (let s = 3; s <= 31; s++) {
      const addr = `0x${s.toString(16)}`;
      if (!used.has(`pci.0/${addr}`)) return { bus: 'pci.0', addr };
    }
  }
  throw new InvalidInstanceSpec('devices', 'no free PCI slot is left for another device');
}

/** A free IDE (pc: ide.0/ide.1, two units each) or AHCI (q35: ide.0-ide.5) position. */
export function allocateIde(def: Pick<InstanceDefinition, 'machineType' | 'disks'>): { bus: string; unit: number } {
  const used = new Set(def.disks.filter((d) => d.ide !== null).map((d) => `${d.ide?.bus}:${d.ide?.unit}`));
  const slots = isQ35(def.machineType)
    ? [0, 1, 2, 3, 4, 5].map((b) => ({ bus: `ide.${b}`, unit: 0 }))
    : [
        { bus: 'ide.0', unit: 0 },
        { bus: 'ide.0', unit: 1 },
        { bus: 'ide.1', unit: 0 },
        { bus: 'ide.1', unit: 1 },
      ];
  const free = slots.find((s) => !used.has(`${s.bus}:${s.unit}`));
  if (free === undefined) throw new InvalidInstanceSpec('devices', 'no free IDE/SATA position is left');
  return free;
}

function scsiIdFor(def: Pick<InstanceDefinition, 'disks'>): number {
  const used = new Set(def.disks.map((d) => d.scsiId).filter((x): x is number => x !== null));
  for (let i = 0; i < 256; i++) if (!used.has(i)) return i;
  throw new InvalidInstanceSpec('devices', 'no free SCSI id is left');
}

/** The guest device name for the n-th disk on a bus (vda, sdb, hdc). */
export function guestDiskName(bus: DiskBus, index: number): string {
  const prefix = bus === 'virtio' ? 'vd' : bus === 'ide' ? 'hd' : 'sd';
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const name = index < 26 ? (letters[index] ?? 'a') : `${letters[Math.floor(index / 26) - 1] ?? 'a'}${letters[index % 26] ?? 'a'}`;
  return `/dev/${prefix}${name}`;
}

function prop(request: SpawnRequest, imageKey: string, flavorKey?: string): string | undefined {
  const flavor = flavorKey === undefined ? undefined : request.instance.extraSpecs[flavorKey];
  return flavor ?? request.instance.imageProperties[imageKey];
}

function boolProp(value: string | undefined, field: string): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.toLowerCase();
  if (['true', 'yes', '1', 'on'].includes(v)) return true;
  if (['false', 'no', '0', 'off'].includes(v)) return false;
  throw new InvalidInstanceSpec(field, `must be true or false, not ${value}`);
}

function busProp(value: string | undefined, field: string, q35: boolean): DiskBus | undefined {
  if (value === undefined) return undefined;
  if (!['virtio', 'ide', 'scsi', 'sata'].includes(value)) throw new ImageUnacceptable(`${field} ${value} is not supported (virtio, ide, scsi, sata)`);
  // NOTE: pc has an IDE controller and q35 an AHCI one; each stands in for the other.
  if (value === 'sata' && !q35) return 'ide';
  if (value === 'ide' && q35) return 'sata';
  return value as DiskBus;
}

/** sockets * cores * threads = vcpus, from flavor `hw:cpu_*` or image `hw_cpu_*`; sockets fill in by default. */
export function cpuTopology(request: SpawnRequest): { sockets: number; cores: number; threads: number } {
  const vcpus = request.instance.vcpus;
  const read = (name: string): number | undefined => {
    const v = prop(request, `hw_cpu_${name}`, `hw:cpu_${name}`);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidInstanceSpec(`hw:cpu_${name}`, `must be a positive integer, not ${v}`);
    return n;
  };
  let sockets = read('sockets');
  let cores = read('cores');
  let threads = read('threads');
  threads ??= 1;
  if (cores === undefined && sockets === undefined) sockets = vcpus / threads;
  if (cores === undefined) cores = vcpus / ((sockets ?? 1) * threads);
  if (sockets === undefined) sockets = vcpus / (cores * threads);
  if (!Number.isInteger(sockets) || !Number.isInteger(cores) || sockets * cores * threads !== vcpus) {
    throw new InvalidInstanceSpec('hw:cpu_sockets', `sockets x cores x threads must equal ${vcpus} vCPUs`);
  }
  return { sockets, cores, threads };
}

/** A disk for a volume, on `bus`, at a free position of `def`. */
export function volumeDisk(def: Pick<InstanceDefinition, 'machineType' | 'disks' | 'nics' | 'rng' | 'scsiController'>, bdm: BlockDeviceInfo, bus: DiskBus): DiskDef {
  const info = bdm.connectionInfo;
  const source: DiskSource = info.driverVolumeType === 'file' ? { kind: 'file', path: info.path, format: info.format ?? 'raw' } : { kind: 'nbd', host: info.host, port: info.port, exportName: info.exportName };
  const id = `vol-${bdm.mountDevice.slice('/dev/'.length)}`;
  return {
    id,
    role: 'volume',
    device: bdm.mountDevice,
    bus,
    media: 'disk',
    source,
    readOnly: bdm.readOnly ?? false,
    bootIndex: bdm.bootIndex,
    serial: bdm.volumeId === undefined ? null : bdm.volumeId.slice(0, 20),
    pci: bus === 'virtio' ? allocatePci(def) : null,
    ide: bus === 'ide' || bus === 'sata' ? allocateIde(def) : null,
    scsiId: bus === 'scsi' ? scsiIdFor(def) : null,
  };
}

/** A NIC for a port, at a free PCI address of `def`. */
export function nicFor(def: Pick<InstanceDefinition, 'machineType' | 'disks' | 'nics' | 'rng' | 'scsiController'>, vif: VifInfo, model: string, createdTap: boolean): NicDef {
  return {
    id: vif.portId,
    portId: vif.portId,
    mac: vif.mac,
    tapName: vif.tapName ?? null,
    createdTap,
    bridge: vif.bridge ?? null,
    mtu: vif.mtu ?? null,
    model,
    pci: allocatePci(def),
  };
}

/** Paths of the driver's own disks in the guest's state directory. */
export interface OwnDiskPaths {
  readonly root: string;
  readonly ephemeral: string;
  readonly swap: string;
  readonly configDrive: string;
}

/**
 * Plan the guest from a validated spawn request: machine, topology, video, buses, and every
 * device at a fixed address. Taps are recorded as not created by the driver; the driver marks
 * those it creates. Throws InvalidInstanceSpec / ImageUnacceptable for values it cannot honour.
 */
export function planInstance(request: SpawnRequest, defaults: { readonly machineType: string }, paths: OwnDiskPaths, now: Date): InstanceDefinition {
  const inst = request.instance;
  const machineType = prop(request, 'hw_machine_type') ?? defaults.machineType;
  if (!MACHINE_TYPE_RE.test(machineType)) throw new ImageUnacceptable(`hw_machine_type ${machineType} is not supported`);
  const q35 = isQ35(machineType);
  const diskBus = busProp(prop(request, 'hw_disk_bus'), 'hw_disk_bus', q35) ?? 'virtio';
  const cdromBus = busProp(prop(request, 'hw_cdrom_bus'), 'hw_cdrom_bus', q35) ?? (q35 ? 'sata' : 'ide');
  const vifModel = prop(request, 'hw_vif_model') ?? 'virtio';
  if (NIC_MODELS[vifModel] === undefined) throw new ImageUnacceptable(`hw_vif_model ${vifModel} is not supported (${Object.keys(NIC_MODELS).join(', ')})`);
  const video = prop(request, 'hw_video_model') ?? 'vga';
  if (!(video in VIDEO_MODELS)) throw new ImageUnacceptable(`hw_video_model ${video} is not supported (${Object.keys(VIDEO_MODELS).join(', ')})`);
  const scsiModel = prop(request, 'hw_scsi_model');
  if (scsiModel !== undefined && scsiModel !== 'virtio-scsi') throw new ImageUnacceptable(`hw_scsi_model ${scsiModel} is not supported (virtio-scsi)`);
  const bootMenu = boolProp(prop(request, 'hw_boot_menu', 'hw:boot_menu'), 'hw:boot_menu') ?? false;
  const rngWanted = prop(request, 'hw_rng_model') === 'virtio' && boolProp(inst.extraSpecs['hw_rng:allowed'], 'hw_rng:allowed') !== false;

  let def: InstanceDefinition = {
    version: 1,
    uuid: inst.uuid,
    name: inst.name,
    vcpus: inst.vcpus,
    memoryMb: inst.memoryMb,
    machineType,
    topology: cpuTopology(request),
    video,
    bootMenu,
    rng: null,
    scsiController: null,
    cdromBus,
    defaultDiskBus: diskBus,
    vifModel,
    disks: [],
    nics: [],
    createdAt: now.toISOString(),
  };
  const names = new Map<DiskBus, number>();
  const nextName = (bus: DiskBus): string => {
    const key: DiskBus = bus === 'sata' ? 'scsi' : bus;
    const n = names.get(key) ?? 0;
    names.set(key, n + 1);
    return guestDiskName(key, n);
  };
  const needsScsi = diskBus === 'scsi' || cdromBus === 'scsi' || request.blockDeviceInfo.some((b) => b.diskBus === 'scsi');
  if (needsScsi) def = { ...def, scsiController: allocatePci(def) };

  const ownDisk = (id: string, role: DiskRole, bus: DiskBus, media: 'disk' | 'cdrom', path: string, format: ImageFormat, readOnly: boolean, bootIndex: number | null): DiskDef => ({
    id,
    role,
    device: nextName(bus),
    bus,
    media,
    source: { kind: 'file', path, format },
    readOnly,
    bootIndex,
    serial: null,
    pci: bus === 'virtio' ? allocatePci(def) : null,
    ide: bus === 'ide' || bus === 'sata' ? allocateIde(def) : null,
    scsiId: bus === 'scsi' ? scsiIdFor(def) : null,
  });
  const add = (d: DiskDef): void => {
    def = { ...def, disks: [...def.disks, d] };
  };

  // Boot volume first, so it is the first disk the firmware and the guest see.
  const bootVolume = request.blockDeviceInfo.find((b) => b.bootIndex === 0);
  if (bootVolume !== undefined) add(volumeDisk(def, bootVolume, busProp(bootVolume.diskBus, 'diskBus', q35) ?? diskBus));
  if (request.image !== null) add(ownDisk('root', 'root', diskBus, 'disk', paths.root, 'qcow2', false, 0));
  if (inst.ephemeralGb > 0) add(ownDisk('eph0', 'ephemeral', diskBus, 'disk', paths.ephemeral, 'qcow2', false, null));
  if (inst.swapMb > 0) add(ownDisk('swap', 'swap', diskBus, 'disk', paths.swap, 'qcow2', false, null));
  for (const bdm of request.blockDeviceInfo) {
    if (bdm === bootVolume) continue;
    add(volumeDisk(def, bdm, busProp(bdm.diskBus, 'diskBus', q35) ?? diskBus));
  }
  if (request.configDrive !== undefined) {
    const bus = cdromBus;
    add(ownDisk('config', 'config-drive', bus, bus === 'virtio' ? 'disk' : 'cdrom', paths.configDrive, 'raw', true, null));
  }
  for (const vif of request.networkInfo) def = { ...def, nics: [...def.nics, nicFor(def, vif, vifModel, false)] };
  if (rngWanted) def = { ...def, rng: allocatePci(def) };
  return def;
}

/**
 * `def` with one more of the driver's own disks (ephemeral or swap, qcow2) on the guest's default
 * bus, at a free address, named after the disks already there.
 */
export function addOwnDisk(def: InstanceDefinition, id: string, role: 'ephemeral' | 'swap', path: string): InstanceDefinition {
  const bus = def.defaultDiskBus;
  const taken = new Set(def.disks.map((d) => d.device));
  let device = guestDiskName(bus, 0);
  for (let i = 0; taken.has(device); i++) device = guestDiskName(bus, i + 1);
  const disk: DiskDef = {
    id,
    role,
    device,
    bus,
    media: 'disk',
    source: { kind: 'file', path, format: 'qcow2' },
    readOnly: false,
    bootIndex: null,
    serial: null,
    pci: bus === 'virtio' ? allocatePci(def) : null,
    ide: bus === 'ide' || bus === 'sata' ? allocateIde(def) : null,
    scsiId: bus === 'scsi' ? scsiIdFor(def) : null,
  };
  return { ...def, disks: [...def.disks, disk] };
}
