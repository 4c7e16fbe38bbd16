/** The plain data that crosses the ComputeDriver boundary: what nova-compute hands a driver and what it gets back. */
import type { PowerState, PowerStateName } from './power-state.js';

/** Disk image formats a driver may be handed (glance `disk_format`). */
export type ImageFormat = 'qcow2' | 'raw';

/** A flavor's sizes and extra specs, as a guest is built or resized with them. */
export interface FlavorSizes {
  readonly vcpus: number;
  readonly memoryMb: number;
  /** Root disk size in GiB (what 0 means depends on the use: see InstanceSpec, ResizeSpec). */
  readonly rootGb: number;
  /** A blank ephemeral disk of this many GiB (0: none). */
  readonly ephemeralGb: number;
  /** A blank swap disk of this many MiB (0: none). */
  readonly swapMb: number;
  /** Flavor extra specs (`hw:cpu_sockets`, `hw:boot_menu` ...). Unknown keys are ignored. */
  readonly extraSpecs: Readonly<Record<string, string>>;
}

/**
 * The guest to build: flavor sizes plus the flavor's extra specs and the image's properties,
 * already merged by nova-compute (nova's `instance` + `image_meta`). A `rootGb` of 0 means
 * "the image's own virtual size" (nova's disk=0 flavors).
 */
export interface InstanceSpec extends FlavorSizes {
  /** Nova's instance uuid, lowercase (the driver's key for everything). */
  readonly uuid: string;
  /** Nova's instance name (`instance-0000002a`); shown by the hypervisor, never used as a path. */
  readonly name: string;
  /** Image properties (`hw_disk_bus`, `hw_vif_model`, `hw_machine_type` ...). Unknown keys are ignored. */
  readonly imageProperties: Readonly<Record<string, string>>;
}

/** The base image, already fetched into nova-compute's per-host image cache. */
export interface ImageRef {
  /** Absolute path of the cached base image; the driver never writes to it. */
  readonly path: string;
  readonly format: ImageFormat;
}

/** A fixed IP of a port, as neutron gave it. */
export interface FixedIp {
  readonly address: string;
  readonly version: 4 | 6;
  /** Prefix length of the subnet (24 for a /24). */
  readonly prefixLength?: number;
  readonly gateway?: string;
}

/** One port of the guest (an entry of nova's network_info). */
export interface VifInfo {
  /** Neutron port id. */
  readonly portId: string;
  /** MAC address, `aa:bb:cc:dd:ee:ff`. */
  readonly mac: string;
  /**
   * Host device name the network backend expects (`tap` + first 11 characters of the port id).
   * Absent when the backend wires nothing on the host (noop): the driver then falls back to
   * its own user-mode networking and says so in its log.
   */
  readonly tapName?: string;
  /** Linux bridge to enslave the tap to (linuxbridge backend). */
  readonly bridge?: string;
  readonly mtu?: number;
  readonly ips: readonly FixedIp[];
}

/** How to reach a volume (cinder's `connection_info`, narrowed to what Strata's backends export). */
export type ConnectionInfo =
  | {
      /** A file (or block device) on this host. */
      readonly driverVolumeType: 'file';
      /** Absolute path. */
      readonly path: string;
      /** @default 'raw' */
      readonly format?: ImageFormat;
    }
  | {
      /** An NBD export on a storage host. */
      readonly driverVolumeType: 'nbd';
      readonly host: string;
      readonly port: number;
      readonly exportName: string;
    };

/** Disk buses a device may sit on (image `hw_disk_bus`). */
export type DiskBus = 'virtio' | 'ide' | 'scsi' | 'sata';

/** A volume attached to the guest (an entry of nova's block_device_info). */
export interface BlockDeviceInfo {
  /** Cinder volume id; used as the disk's serial number where the bus has one. */
  readonly volumeId?: string;
  readonly connectionInfo: ConnectionInfo;
  /** The device name nova recorded (`/dev/vdb`); also the handle for detachVolume. */
  readonly mountDevice: string;
  /** Boot order; 0 makes it the boot disk (boot from volume), null: not bootable. */
  readonly bootIndex: number | null;
  /** @default the image's `hw_disk_bus`, else virtio */
  readonly diskBus?: DiskBus;
  /** Attach read-only. @default false */
  readonly readOnly?: boolean;
}

/**
 * Config drive contents (nova's InstanceMetadata): written as OpenStack's
 * `openstack/latest/{meta_data.json,user_data,network_data.json,vendor_data.json}`.
 */
export interface ConfigDriveData {
  /** The meta_data.json object (uuid, hostname, name, public_keys, ...). */
  readonly metaData: Readonly<Record<string, unknown>>;
  /** User data, base64-encoded as the compute API took and stored it. */
  readonly userData?: string;
  /** The network_data.json object. */
  readonly networkData?: Readonly<Record<string, unknown>>;
  /** The vendor_data.json object. */
  readonly vendorData?: Readonly<Record<string, unknown>>;
}

/** Everything spawn needs. All plain data: it may have crossed the bus. */
export interface SpawnRequest {
  readonly instance: InstanceSpec;
  /** The base image for the root disk; null when the guest boots from a volume (bootIndex 0). */
  readonly image: ImageRef | null;
  readonly networkInfo: readonly VifInfo[];
  readonly blockDeviceInfo: readonly BlockDeviceInfo[];
  /** Build and attach a config drive with this content. */
  readonly configDrive?: ConfigDriveData;
  /** Put into the config drive's meta_data.json as `admin_pass`; never logged or kept elsewhere. */
  readonly adminPassword?: string;
}

/**
 * A guest's new sizes for a cold resize: the new flavor. `rootGb` may only grow (0 keeps the
 * current size); `ephemeralGb` may only grow, or go to 0 (the ephemeral disk is dropped); the
 * swap disk is made anew.
 */
export type ResizeSpec = FlavorSizes;

/** What getInfo reports (nova's `hardware.InstanceInfo`). */
export interface InstanceInfo {
  readonly powerState: PowerState;
  /** The hypervisor's own handle, e.g. the QEMU pid; null when no guest process runs. */
  readonly internalId: string | null;
}

/** Kinds of disks a guest has. */
export type DiskRole = 'root' | 'ephemeral' | 'swap' | 'config-drive' | 'volume';

/** A disk as the driver attached it. */
export interface DiskDiagnostics {
  readonly role: DiskRole;
  /** nova's mount device for volumes (`/dev/vdb`); for the driver's own disks the name it expects the guest to use. */
  readonly device: string;
  readonly bus: DiskBus;
  /** Path or URL of the backing data (`/var/.../disk`, `nbd://host:port/export`). */
  readonly source: string;
  readonly readOnly: boolean;
}

/** A NIC as the driver attached it. */
export interface NicDiagnostics {
  readonly portId: string;
  readonly mac: string;
  /** Host tap device, or null with user-mode networking. */
  readonly tapName: string | null;
  /** Emulated model (`virtio`, `e1000`, ...). */
  readonly model: string;
}

/** nova's `get_instance_diagnostics` (GET /servers/{id}/diagnostics, microversion 2.48 shape). */
export interface InstanceDiagnostics {
  readonly state: PowerStateName;
  /** The driver that runs the guest (`fake`, `qemu`). */
  readonly driver: string;
  readonly hypervisor: string;
  readonly uptimeSeconds: number | null;
  readonly configDrive: boolean;
  readonly numCpus: number;
  readonly memoryMb: number;
  readonly disks: readonly DiskDiagnostics[];
  readonly nics: readonly NicDiagnostics[];
}

/** The host CPU, as nova reports `cpu_info` (serialized to JSON by os-hypervisors). */
export interface CpuInfo {
  readonly arch: string;
  readonly model: string;
  readonly vendor: string;
  readonly topology: { readonly sockets: number; readonly cores: number; readonly threads: number };
  readonly features: readonly string[];
}

/**
 * What a host offers and uses (nova's `get_available_resource` dict), reported periodically by
 * nova-compute's resource tracker. Sizes: memory in MiB, disk in GiB.
 */
export interface AvailableResource {
  readonly vcpus: number;
  readonly memoryMb: number;
  readonly localGb: number;
  readonly vcpusUsed: number;
  readonly memoryMbUsed: number;
  readonly localGbUsed: number;
  /** `QEMU`, `fake`. */
  readonly hypervisorType: string;
  /** nova's integer form: major * 1,000,000 + minor * 1,000 + micro (7.2.0 → 7002000). */
  readonly hypervisorVersion: number;
  readonly hypervisorHostname: string;
  readonly cpuInfo: CpuInfo;
  /** Free disk in GiB after the guests' disks grow to full size. */
  readonly diskAvailableLeast: number;
  /** `[arch, hypervisor type, vm mode]` triples this host runs. */
  readonly supportedInstances: readonly (readonly [string, string, string])[];
}

/** Where a guest's VNC server listens (nova's `ctype.ConsoleVNC`). */
export interface VncConsole {
  readonly host: string;
  readonly port: number;
}

/** What snapshot wrote. */
export interface SnapshotResult {
  readonly path: string;
  readonly format: ImageFormat;
  /** Bytes of the file. */
  readonly size: number;
  /** Bytes the disk holds as the guest sees it. */
  readonly virtualSize: number;
}
