/**
 * The narrow hypervisor contract nova-compute needs (nova/virt/driver.py, trimmed): the manager
 * hands plain data to it and never the DB or itself. Implemented by `InMemoryHypervisor` and by
 * adapters over the drivers in packages/drivers/virt-*.
 */

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
  readonly ports: ReadonlyArray<{ readonly portId: string; readonly macAddress: string; readonly networkId: string; readonly ips: readonly string[] }>;
  readonly volumes: ReadonlyArray<{ readonly volumeId: string; readonly device: string; readonly bootIndex: number | null; readonly connection: Readonly<Record<string, unknown>> }>;
  readonly userData: string | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly keyData: string | null;
}

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

/** A hypervisor on one host. Every method is idempotent for a guest that is already in the wanted state. */
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
  close(): Promise<void>;
}
