/** Checks every driver runs on names, paths and sizes before passing them to a hypervisor, `ip` or a file system. */
import { isAbsolute, normalize } from 'node:path';
import { isIP } from 'node:net';
import { InvalidInstanceSpec } from './virt-errors.js';
import type { BlockDeviceInfo, ConfigDriveData, ConnectionInfo, ResizeSpec, SpawnRequest, VifInfo } from './virt-types.js';

/** A lowercase RFC 4122 uuid, the only form used as a key or in a path. */
export const INSTANCE_UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Tap names as the network backends make them: `tap` + up to 11 characters of the port id (IFNAMSIZ 15). */
export const TAP_NAME_RE = /^tap[0-9a-f-]{1,11}$/;
/** Linux bridge names (15 characters at most, no `/`, no whitespace). */
export const BRIDGE_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;
/** A unicast MAC address in colon form. */
export const MAC_RE = /^[0-9a-f][02468ace](:[0-9a-f]{2}){5}$/;
/** nova's instance names (`instance-0000002a`) and other names shown by the hypervisor. */
export const INSTANCE_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
/** Device names nova records for disks (`/dev/vdb`, `/dev/sdc`). */
export const MOUNT_DEVICE_RE = /^\/dev\/(vd|sd|hd|xvd)[a-z]{1,2}$/;
/** DNS names for NBD servers. */
const HOST_NAME_RE = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
/** NBD export names cinder makes (`volume-<uuid>`). */
const NBD_EXPORT_RE = /^[A-Za-z0-9][A-Za-z0-9._:+=-]{0,127}$/;

/** Largest user data nova accepts (65535 bytes of base64). */
const MAX_USER_DATA = 65535;

/** Throws InvalidInstanceSpec unless `uuid` is a lowercase uuid. */
export function assertInstanceUuid(uuid: unknown, field = 'uuid'): asserts uuid is string {
  if (typeof uuid !== 'string' || !INSTANCE_UUID_RE.test(uuid)) throw new InvalidInstanceSpec(field, 'must be a lowercase uuid');
}

/** Throws InvalidInstanceSpec unless `name` is a tap name the backends make. */
export function assertTapName(name: unknown, field = 'tapName'): asserts name is string {
  if (typeof name !== 'string' || !TAP_NAME_RE.test(name)) throw new InvalidInstanceSpec(field, `must match ${TAP_NAME_RE.source}`);
}

/** Throws InvalidInstanceSpec unless `name` is a plausible Linux bridge name. */
export function assertBridgeName(name: unknown, field = 'bridge'): asserts name is string {
  if (typeof name !== 'string' || !BRIDGE_NAME_RE.test(name)) throw new InvalidInstanceSpec(field, `must match ${BRIDGE_NAME_RE.source}`);
}

/** Throws InvalidInstanceSpec unless `mac` is a lowercase unicast MAC address. */
export function assertMac(mac: unknown, field = 'mac'): asserts mac is string {
  if (typeof mac !== 'string' || !MAC_RE.test(mac)) throw new InvalidInstanceSpec(field, 'must be a lowercase unicast MAC address');
}

/** Throws InvalidInstanceSpec unless `device` is a disk device name such as `/dev/vdb`. */
export function assertMountDevice(device: unknown, field = 'mountDevice'): asserts device is string {
  if (typeof device !== 'string' || !MOUNT_DEVICE_RE.test(device)) throw new InvalidInstanceSpec(field, `must match ${MOUNT_DEVICE_RE.source}`);
}

/**
 * Throws InvalidInstanceSpec unless `path` is absolute, normalized (no `..`, no `//`, no trailing
 * `/`) and free of control characters, so it can be handed to a command or QEMU as it is.
 */
export function assertSafePath(path: unknown, field = 'path'): asserts path is string {
  if (typeof path !== 'string' || path.length === 0 || path.length > 4096) throw new InvalidInstanceSpec(field, 'must be a path of 1 to 4096 characters');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) throw new InvalidInstanceSpec(field, 'must not contain control characters');
  if (!isAbsolute(path) || normalize(path) !== path || (path.length > 1 && path.endsWith('/'))) {
    throw new InvalidInstanceSpec(field, 'must be an absolute, normalized path');
  }
}

function assertInt(value: unknown, field: string, min: number, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidInstanceSpec(field, `must be an integer from ${min} to ${max}`);
  }
}

function assertStringMap(value: unknown, field: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidInstanceSpec(field, 'must be an object of strings');
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new InvalidInstanceSpec(`${field}.${k}`, 'must be a string');
  }
}

/** Throws InvalidInstanceSpec unless the connection info is one the drivers understand, with safe values. */
export function assertConnectionInfo(info: ConnectionInfo, field = 'connectionInfo'): void {
  if (typeof info !== 'object' || info === null) throw new InvalidInstanceSpec(field, 'must be an object');
  switch (info.driverVolumeType) {
    case 'file':
      assertSafePath(info.path, `${field}.path`);
      if (info.format !== undefined && info.format !== 'raw' && info.format !== 'qcow2') throw new InvalidInstanceSpec(`${field}.format`, 'must be raw or qcow2');
      return;
    case 'nbd':
      if (typeof info.host !== 'string' || (isIP(info.host) === 0 && !HOST_NAME_RE.test(info.host))) throw new InvalidInstanceSpec(`${field}.host`, 'must be an IP address or host name');
      assertInt(info.port, `${field}.port`, 1, 65535);
      if (typeof info.exportName !== 'string' || !NBD_EXPORT_RE.test(info.exportName)) throw new InvalidInstanceSpec(`${field}.exportName`, `must match ${NBD_EXPORT_RE.source}`);
      return;
    default:
      throw new InvalidInstanceSpec(`${field}.driverVolumeType`, 'must be file or nbd');
  }
}

/** Throws InvalidInstanceSpec unless the volume description is usable. */
export function assertBlockDevice(bdm: BlockDeviceInfo, field = 'blockDeviceInfo'): void {
  if (typeof bdm !== 'object' || bdm === null) throw new InvalidInstanceSpec(field, 'must be an object');
  if (bdm.volumeId !== undefined && (typeof bdm.volumeId !== 'string' || !/^[0-9a-f-]{1,36}$/.test(bdm.volumeId))) {
    throw new InvalidInstanceSpec(`${field}.volumeId`, 'must be a uuid');
  }
  assertConnectionInfo(bdm.connectionInfo, `${field}.connectionInfo`);
  assertMountDevice(bdm.mountDevice, `${field}.mountDevice`);
  if (bdm.bootIndex !== null) assertInt(bdm.bootIndex, `${field}.bootIndex`, 0, 99);
  if (bdm.diskBus !== undefined && !['virtio', 'ide', 'scsi', 'sata'].includes(bdm.diskBus)) throw new InvalidInstanceSpec(`${field}.diskBus`, 'must be virtio, ide, scsi or sata');
  if (bdm.readOnly !== undefined && typeof bdm.readOnly !== 'boolean') throw new InvalidInstanceSpec(`${field}.readOnly`, 'must be a boolean');
}

/** Throws InvalidInstanceSpec unless the port description is usable. */
export function assertVif(vif: VifInfo, field = 'vif'): void {
  if (typeof vif !== 'object' || vif === null) throw new InvalidInstanceSpec(field, 'must be an object');
  if (typeof vif.portId !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(vif.portId)) {
    throw new InvalidInstanceSpec(`${field}.portId`, 'must be a lowercase uuid');
  }
  assertMac(vif.mac, `${field}.mac`);
  if (vif.tapName !== undefined) assertTapName(vif.tapName, `${field}.tapName`);
  if (vif.bridge !== undefined) {
    assertBridgeName(vif.bridge, `${field}.bridge`);
    if (vif.tapName === undefined) throw new InvalidInstanceSpec(`${field}.bridge`, 'needs a tapName');
  }
  if (vif.mtu !== undefined) assertInt(vif.mtu, `${field}.mtu`, 68, 65535);
  if (!Array.isArray(vif.ips)) throw new InvalidInstanceSpec(`${field}.ips`, 'must be an array');
  vif.ips.forEach((ip, i) => {
    if (typeof ip?.address !== 'string' || isIP(ip.address) !== ip.version) throw new InvalidInstanceSpec(`${field}.ips[${i}].address`, `must be an IPv${String(ip?.version)} address`);
  });
}

function assertConfigDrive(cd: ConfigDriveData, field: string): void {
  if (typeof cd.metaData !== 'object' || cd.metaData === null || Array.isArray(cd.metaData)) throw new InvalidInstanceSpec(`${field}.metaData`, 'must be an object');
  if (cd.userData !== undefined) {
    if (typeof cd.userData !== 'string' || cd.userData.length > MAX_USER_DATA || !/^[A-Za-z0-9+/]*={0,2}$/.test(cd.userData)) {
      throw new InvalidInstanceSpec(`${field}.userData`, `must be base64 of at most ${MAX_USER_DATA} characters`);
    }
  }
  for (const key of ['networkData', 'vendorData'] as const) {
    const v = cd[key];
    if (v !== undefined && (typeof v !== 'object' || v === null || Array.isArray(v))) throw new InvalidInstanceSpec(`${field}.${key}`, 'must be an object');
  }
}

/**
 * Throws InvalidInstanceSpec (naming the field) unless the whole spawn request is well-formed:
 * names, sizes, paths, unique ports, taps and devices, and a boot source.
 */
export function assertSpawnRequest(request: SpawnRequest): void {
  if (typeof request !== 'object' || request === null) throw new InvalidInstanceSpec('request', 'must be an object');
  const inst = request.instance;
  if (typeof inst !== 'object' || inst === null) throw new InvalidInstanceSpec('instance', 'must be an object');
  assertInstanceUuid(inst.uuid, 'instance.uuid');
  if (typeof inst.name !== 'string' || !INSTANCE_NAME_RE.test(inst.name)) throw new InvalidInstanceSpec('instance.name', `must match ${INSTANCE_NAME_RE.source}`);
  assertInt(inst.vcpus, 'instance.vcpus', 1, 255);
  assertInt(inst.memoryMb, 'instance.memoryMb', 16, 4 * 1024 * 1024);
  assertInt(inst.rootGb, 'instance.rootGb', 0, 64 * 1024);
  assertInt(inst.ephemeralGb, 'instance.ephemeralGb', 0, 64 * 1024);
  assertInt(inst.swapMb, 'instance.swapMb', 0, 1024 * 1024);
  assertStringMap(inst.extraSpecs, 'instance.extraSpecs');
  assertStringMap(inst.imageProperties, 'instance.imageProperties');

  if (request.image !== null) {
    if (typeof request.image !== 'object') throw new InvalidInstanceSpec('image', 'must be an object or null');
    assertSafePath(request.image.path, 'image.path');
    if (request.image.format !== 'qcow2' && request.image.format !== 'raw') throw new InvalidInstanceSpec('image.format', 'must be qcow2 or raw');
  }

  if (!Array.isArray(request.networkInfo)) throw new InvalidInstanceSpec('networkInfo', 'must be an array');
  const ports = new Set<string>();
  const taps = new Set<string>();
  const macs = new Set<string>();
  request.networkInfo.forEach((vif, i) => {
    const field = `networkInfo[${i}]`;
    assertVif(vif, field);
    if (ports.has(vif.portId)) throw new InvalidInstanceSpec(`${field}.portId`, 'is listed twice');
    if (macs.has(vif.mac)) throw new InvalidInstanceSpec(`${field}.mac`, 'is listed twice');
    if (vif.tapName !== undefined && taps.has(vif.tapName)) throw new InvalidInstanceSpec(`${field}.tapName`, 'is listed twice');
    ports.add(vif.portId);
    macs.add(vif.mac);
    if (vif.tapName !== undefined) taps.add(vif.tapName);
  });

  if (!Array.isArray(request.blockDeviceInfo)) throw new InvalidInstanceSpec('blockDeviceInfo', 'must be an array');
  const devices = new Set<string>();
  let bootVolumes = 0;
  request.blockDeviceInfo.forEach((bdm, i) => {
    const field = `blockDeviceInfo[${i}]`;
    assertBlockDevice(bdm, field);
    if (devices.has(bdm.mountDevice)) throw new InvalidInstanceSpec(`${field}.mountDevice`, 'is listed twice');
    devices.add(bdm.mountDevice);
    if (bdm.bootIndex === 0) bootVolumes += 1;
  });
  if (bootVolumes > 1) throw new InvalidInstanceSpec('blockDeviceInfo', 'has more than one volume with bootIndex 0');
  if (request.image === null && bootVolumes === 0) throw new InvalidInstanceSpec('image', 'is required unless a volume has bootIndex 0');
  if (request.image !== null && bootVolumes === 1) throw new InvalidInstanceSpec('image', 'must be null when a volume has bootIndex 0');

  if (request.configDrive !== undefined) assertConfigDrive(request.configDrive, 'configDrive');
  if (request.adminPassword !== undefined && (typeof request.adminPassword !== 'string' || request.adminPassword.length > 255)) {
    throw new InvalidInstanceSpec('adminPassword', 'must be a string of at most 255 characters');
  }
}

/** Throws InvalidInstanceSpec unless the new sizes of a resize are well-formed. */
export function assertResizeSpec(spec: ResizeSpec): void {
  if (typeof spec !== 'object' || spec === null) throw new InvalidInstanceSpec('spec', 'must be an object');
  assertInt(spec.vcpus, 'spec.vcpus', 1, 255);
  assertInt(spec.memoryMb, 'spec.memoryMb', 16, 4 * 1024 * 1024);
  assertInt(spec.rootGb, 'spec.rootGb', 0, 64 * 1024);
  assertInt(spec.ephemeralGb, 'spec.ephemeralGb', 0, 64 * 1024);
  assertInt(spec.swapMb, 'spec.swapMb', 0, 1024 * 1024);
  assertStringMap(spec.extraSpecs, 'spec.extraSpecs');
}
