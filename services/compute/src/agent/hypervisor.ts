/**
 * The narrow hypervisor contract nova-compute needs (nova/virt/driver.py, trimmed): the manager
 * hands plain data to it and never the DB or itself. Implemented by `InMemoryHypervisor` and by
 * adapters over the drivers in packages/drivers/virt-*.
 */
import type { ResizeSpec } from '@strata/virt';

/** What a guest is built from. */
export interface GuestSpec {
  readonly instanceId: string;
  readonly name: string;
  readonly vcpus: number;
  readonly memoryMb: number;
  readonly rootGb: number;
  /** Local path of the cached image, or null (boot from volume, or no image service). */
  readonly imagePath: string | null;
  readonly imageId: string | null;
  /** disk_format of the image (qcow2 or raw). */
  readonly imageFormat: 'qcow2' | 'raw';
  readonly ephemeralGb: number;
  readonly swapMb: number;
  readonly extraSpecs: Readonly<Record<string, string>>;
  readonly ports: ReadonlyArray<{ readonly portId: string; readonly macAddress: string; readonly networkId: string; readonly ips: readonly string[]; readonly binding?: PortBinding }>;
  readonly volumes: ReadonlyArray<{ readonly volumeId: string; readonly device: string; readonly bootIndex: number | null; readonly connection: Readonly<Record<string, unknown>> }>;
  readonly userData: string | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly keyData: string | null;
  /** The image's glance properties (`hw_disk_bus`, `os_distro` ...); the driver honours what it knows. */
  readonly imageProperties?: Readonly<Record<string, string>>;
  /** The API asked for a config drive (`config_drive`); a hypervisor may also always make one. */
  readonly configDrive?: boolean;
  /** For the guest's metadata (config drive): display name, project, zone, key name, flavor name. */
  readonly displayName?: string;
  readonly projectId?: string;
  readonly availabilityZone?: string;
  readonly keyName?: string | null;
  readonly flavorName?: string;
}

/** How neutron bound a port (`binding:vif_type`, `binding:vif_details`) and the network's MTU. */
export interface PortBinding {
  readonly vifType: string;
  readonly vifDetails: Readonly<Record<string, unknown>>;
  readonly mtu?: number;
}

/** A flavor's sizes for a cold resize: the driver contract's own ResizeSpec. */
export type ResizeFlavor = ResizeSpec;

/** What a host offers. */
export interface HostResources {
  readonly vcpus: number;
  readonly memoryMb: number;
  readonly localGb: number;
  readonly hypervisorType: string;
  readonly hypervisorVersion: number;
  readonly cpuInfo: Readonly<Record<string, unknown>>;
}

/** Optional abilities, as data (nova's driver capabilities). */
export interface HypervisorCapabilities {
  readonly supportsPause: boolean;
  readonly supportsSuspend: boolean;
  readonly supportsSnapshot: boolean;
  readonly supportsAttachVolume: boolean;
  readonly supportsAttachInterface: boolean;
}

/**
 * A hypervisor on one host. Every method is idempotent for a guest that is already in the wanted state.
 *
 * Only `spawn` and `attachInterface` are given ports (with their neutron bindings). Every other
 * method that (re)starts a guest (powerOn, a hard reboot, resume, resize, revertResize) restarts
 * it as spawn and the attach/detach calls left it, from the hypervisor's own record of the guest,
 * which must outlive a restart of nova-compute (the QEMU driver keeps it in the guest's
 * `instance.json`): nova-compute's memory of the bindings does not.
 */
export interface Hypervisor {
  readonly capabilities: HypervisorCapabilities;
  resources(): Promise<HostResources>;
  /** Create and start the guest. If this fails, any partial guest is completely cleaned up. */
  spawn(spec: GuestSpec, signal?: AbortSignal): Promise<void>;
  /** Stop and remove the guest; succeeds when it does not exist. */
  destroy(instanceId: string): Promise<void>;
  powerOff(instanceId: string): Promise<void>;
  powerOn(instanceId: string): Promise<void>;
  reboot(instanceId: string, type: 'SOFT' | 'HARD'): Promise<void>;
  pause(instanceId: string): Promise<void>;
  unpause(instanceId: string): Promise<void>;
  suspend(instanceId: string): Promise<void>;
  resume(instanceId: string): Promise<void>;
  consoleOutput(instanceId: string): Promise<string>;
  attachVolume(instanceId: string, volume: GuestSpec['volumes'][number]): Promise<void>;
  detachVolume(instanceId: string, volumeId: string, device: string): Promise<void>;
  attachInterface(instanceId: string, port: GuestSpec['ports'][number]): Promise<void>;
  detachInterface(instanceId: string, portId: string): Promise<void>;
  /**
   * Where the guest's VNC server listens (for the noVNC proxy). Optional: a hypervisor without
   * graphical consoles leaves it out (the API then answers 400 ConsoleTypeUnavailable).
   */
  vncConsole?(instanceId: string): Promise<VncAddress>;
  /**
   * Copy the guest's root disk (consistent at one point in time) to `targetPath` for createImage.
   * Optional: without it nova-compute uploads the cached base image.
   */
  snapshot?(instanceId: string, targetPath: string, format: 'qcow2' | 'raw'): Promise<{ readonly size: number }>;
  /** Cold resize on this host (guest restarted with the new sizes unless it was stopped). Optional. */
  resize?(instanceId: string, flavor: ResizeFlavor, powerOn: boolean): Promise<void>;
  confirmResize?(instanceId: string): Promise<void>;
  /** Back to the sizes before the pending resize; the guest runs again if it ran before. */
  revertResize?(instanceId: string): Promise<void>;
  /** The guest's power state as the hypervisor sees it (nova's numbers; 0 when unknown). Optional. */
  powerState?(instanceId: string): Promise<number>;
  /** Every guest the hypervisor has on this host. Optional (with powerState: the periodic power sync). */
  guests?(): Promise<string[]>;
  /** Be told when a guest's power state changes on its own (a guest that powered itself off). Optional. */
  onPowerChange?(listener: (instanceId: string) => void): void;
  close(): Promise<void>;
}

/** A guest's VNC server address (host:port the proxy connects to; normally loopback). */
export interface VncAddress {
  readonly host: string;
  readonly port: number;
}
