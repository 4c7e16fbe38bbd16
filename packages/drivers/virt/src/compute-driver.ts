/** The contract every hypervisor driver follows (nova/virt/driver.py): what nova-compute may ask of a host's hypervisor. */
import type {
  AvailableResource,
  ResizeSpec,
  BlockDeviceInfo,
  ImageFormat,
  InstanceDiagnostics,
  InstanceInfo,
  SnapshotResult,
  SpawnRequest,
  VifInfo,
  VncConsole,
} from './virt-types.js';
import type { VirtHost } from './virt-host.js';

/**
 * What a driver can do, as data (nova's `capabilities` dict). nova-compute and the scheduler
 * read these instead of calling and catching "not supported".
 */
export interface DriverCapabilities {
  /** attachInterface / detachInterface work on a running guest. */
  readonly supportsAttachInterface: boolean;
  /** attachVolume / detachVolume work on a running guest. */
  readonly supportsHotplugVolume: boolean;
  /** A volume with bootIndex 0 may replace the image (boot from volume). */
  readonly supportsBootFromVolume: boolean;
  /** NBD connection info is understood (remote volumes). */
  readonly supportsNbdVolumes: boolean;
  readonly supportsPause: boolean;
  readonly supportsSuspend: boolean;
  readonly supportsSoftReboot: boolean;
  /** snapshot() works (server createImage). */
  readonly supportsSnapshot: boolean;
  readonly supportsConfigDrive: boolean;
  readonly supportsVncConsole: boolean;
  /** Rebuilding a guest on another host after its host failed. */
  readonly supportsEvacuate: boolean;
  /** resize / confirmResize / revertResize are implemented (cold resize on this host). */
  readonly supportsResize: boolean;
  /** Base image formats spawn accepts (nova's `supports_image_type_*`). */
  readonly imageFormats: readonly ImageFormat[];
}

/** Options of every operation that may wait. */
export interface OperationOptions {
  /**
   * Abandons the wait. What the operation already changed is undone where the operation says
   * so (spawn cleans up), else the guest is left in a consistent power state.
   */
  readonly signal?: AbortSignal;
}

/** Options of init. */
export interface InitOptions extends OperationOptions {
  /** Where lifecycle events go; without it the driver keeps them to itself. */
  readonly virtHost?: VirtHost;
}

/** Options of powerOff. */
export interface PowerOffOptions extends OperationOptions {
  /**
   * How long the guest gets to shut down after the ACPI power button before it is forced off
   * (nova's `shutdown_timeout`); 0 forces it off at once. @default the driver's configured timeout
   */
  readonly timeoutMs?: number;
}

/** Options of reboot. */
export interface RebootOptions extends OperationOptions {
  /** For a soft reboot: how long the guest gets before a hard reboot follows. @default the driver's configured timeout */
  readonly timeoutMs?: number;
}

/** Options of destroy. */
export interface DestroyOptions extends OperationOptions {
  /** Remove the guest's disks (root overlay, ephemeral, swap, config drive). @default true */
  readonly destroyDisks?: boolean;
}

/** Options of getConsoleOutput. */
export interface ConsoleOutputOptions {
  /** Return only the last `length` lines (os-getConsoleOutput `length`). @default all the driver keeps */
  readonly length?: number;
}

/** Options of resize and revertResize. */
export interface ResizeOptions extends OperationOptions {
  /**
   * Start the guest afterwards. @default resize: true; revertResize: whether it ran before the resize
   */
  readonly powerOn?: boolean;
  /** How long a running guest gets to shut down (ACPI) before it is forced off. @default the driver's shutdown timeout */
  readonly timeoutMs?: number;
}

/** Options of snapshot. */
export interface SnapshotOptions extends OperationOptions {
  /** @default 'qcow2' */
  readonly format?: ImageFormat;
}

/**
 * A hypervisor driver. One instance serves one compute host. Every method takes and returns
 * plain data; a driver never reads the database, never calls other services and never imports
 * another driver (nova's N307/N311). Implementations are built with `static async create(config)`.
 *
 * Common rules:
 * - Calls for the same uuid are serialized by the driver; calls for different uuids may overlap.
 * - Every method that takes a uuid throws InstanceNotFound when the driver does not know it,
 *   except destroy, which succeeds.
 * - Names and paths are validated before anything is passed on (InvalidInstanceSpec, 400).
 * - Hypervisor failures are HypervisorError (500), with the operation named.
 * - Power operations are idempotent where nova's are: powerOff of a stopped guest, powerOn of
 *   a running one and unpause of a running one succeed without change.
 */
export interface ComputeDriver {
  /** A short name: `fake`, `qemu`. */
  readonly type: string;
  readonly capabilities: DriverCapabilities;

  /**
   * Called once by nova-compute at start (nova's `init_host`), before any other method.
   * Postcondition: guests left running by a previous nova-compute are known again (adopted,
   * neither killed nor duplicated), and guests whose process is gone report SHUTDOWN.
   */
  init(host: string, options?: InitOptions): Promise<void>;

  /**
   * Create and start a new guest. Precondition: the uuid is unknown to the driver; the image
   * (when given) is in the host's image cache; ports and volumes exist.
   * Postcondition: the guest runs (RUNNING); its devices are the request's.
   * If spawn fails or is aborted, any partial instance is completely cleaned up: no process,
   * file, socket or tap of it remains, and listInstanceUuids does not show it.
   * Throws InstanceExists, InvalidInstanceSpec, ImageUnacceptable, HypervisorError.
   */
  spawn(request: SpawnRequest, options?: OperationOptions): Promise<void>;

  /**
   * Remove the guest from this host: its process is stopped (forcefully), its taps (those the
   * driver created), sockets, state and, unless `destroyDisks` is false, its disks are removed.
   * Volumes are only disconnected, never deleted. Succeeds when the uuid is unknown.
   */
  destroy(uuid: string, options?: DestroyOptions): Promise<void>;

  /**
   * Reboot. `soft`: the guest is asked to shut down (ACPI) and is started again; if it does
   * not shut down within the timeout, a hard reboot follows. `hard`: the guest is stopped
   * forcefully and started again from its disks, also from SHUTDOWN, PAUSED or CRASHED.
   * Postcondition: RUNNING. A soft reboot needs a RUNNING guest (InstanceInvalidState).
   */
  reboot(uuid: string, type: 'soft' | 'hard', options?: RebootOptions): Promise<void>;

  /**
   * Stop the guest: ACPI power button, then forced after `timeoutMs`. Postcondition: SHUTDOWN,
   * no guest process; disks kept. A suspended guest's saved memory is discarded.
   */
  powerOff(uuid: string, options?: PowerOffOptions): Promise<void>;

  /** Start a stopped guest from its disks. Postcondition: RUNNING. Resumes a suspended guest. */
  powerOn(uuid: string, options?: OperationOptions): Promise<void>;

  /** Freeze the guest's CPUs, keeping its memory. Precondition: RUNNING. Postcondition: PAUSED. */
  pause(uuid: string, options?: OperationOptions): Promise<void>;

  /** Let a paused guest run again. Postcondition: RUNNING. */
  unpause(uuid: string, options?: OperationOptions): Promise<void>;

  /**
   * Save the guest's memory to disk and stop its process. Precondition: RUNNING or PAUSED.
   * Postcondition: SUSPENDED; nothing runs.
   */
  suspend(uuid: string, options?: OperationOptions): Promise<void>;

  /** Restore a suspended guest where it was. Postcondition: RUNNING. */
  resume(uuid: string, options?: OperationOptions): Promise<void>;

  /** The guest's power state, read from the hypervisor (not from a cache of what was asked). */
  getInfo(uuid: string): Promise<InstanceInfo>;

  /** Every guest this driver has on the host, running or not (nova's `list_instance_uuids`). */
  listInstanceUuids(): Promise<string[]>;

  /**
   * The tail of the guest's serial console log (nova caps it at 100 KiB), across reboots.
   * Empty before the guest wrote anything.
   */
  getConsoleOutput(uuid: string, options?: ConsoleOutputOptions): Promise<string>;

  /**
   * Hot-plug a volume into a running guest, or record it for the next start of a stopped one.
   * Throws DeviceAlreadyAttached when `mountDevice` is taken. Nothing is changed on failure.
   */
  attachVolume(uuid: string, volume: BlockDeviceInfo, options?: OperationOptions): Promise<void>;

  /**
   * Unplug the volume at `mountDevice` (waiting for the guest to release it) and forget it.
   * Throws DeviceNotFound, DeviceDetachFailed (the guest kept it; it stays attached).
   */
  detachVolume(uuid: string, mountDevice: string, options?: OperationOptions): Promise<void>;

  /** Hot-plug a port (creating its tap when the backend did not), or record it for a stopped guest. */
  attachInterface(uuid: string, vif: VifInfo, options?: OperationOptions): Promise<void>;

  /** Unplug the port and remove the tap the driver created for it. Throws DeviceNotFound. */
  detachInterface(uuid: string, portId: string, options?: OperationOptions): Promise<void>;

  /**
   * Copy the guest's root disk, consistent at one point in time, to `targetPath` (a new file;
   * its directory exists) for nova's createImage. The guest is paused for the copy and keeps
   * its power state. Throws InstanceInvalidState for a guest booted from a volume.
   * On failure nothing is left at targetPath.
   */
  snapshot(uuid: string, targetPath: string, options?: SnapshotOptions): Promise<SnapshotResult>;

  /**
   * Cold resize on this host (nova's migrate_disk_and_power_off + finish_migration when source
   * and destination are the same host); present when `capabilities.supportsResize`.
   * The guest is powered off (ACPI, forced after the timeout); what revertResize needs is kept;
   * root and ephemeral disks grow to the new sizes, swap is made anew, and the guest starts with
   * the new CPUs and memory unless `powerOn` is false. A disk that would shrink is
   * InvalidInstanceSpec and nothing changes. Throws InstanceInvalidState for a suspended guest
   * or while another resize awaits confirmResize / revertResize.
   */
  resize?(uuid: string, spec: ResizeSpec, options?: ResizeOptions): Promise<void>;

  /** Keep the resized guest and drop what revertResize needed. Succeeds without a pending resize. */
  confirmResize?(uuid: string): Promise<void>;

  /**
   * Back to the disks and sizes from before the pending resize (the guest is forced off first).
   * Throws InstanceInvalidState without a pending resize.
   */
  revertResize?(uuid: string, options?: ResizeOptions): Promise<void>;

  /** What the host offers and what its guests use (nova's `get_available_resource`). */
  getAvailableResource(): Promise<AvailableResource>;

  /** Where the guest's VNC server listens. Throws InstanceInvalidState when it does not run. */
  getVncConsole(uuid: string): Promise<VncConsole>;

  /** The guest's devices and state (GET /servers/{id}/diagnostics). */
  getDiagnostics(uuid: string): Promise<InstanceDiagnostics>;

  /**
   * Release the driver's connections and timers. Guests keep running (nova-compute stopping
   * must not stop the VMs); a new driver's init adopts them. Idempotent.
   */
  close(): Promise<void>;
}
