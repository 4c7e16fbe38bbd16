/**
 * @module @strata/virt — the hypervisor driver contract (nova/virt/driver.py): the ComputeDriver
 * interface, the plain data it takes and returns, its errors and the checks every driver runs.
 * The shared conformance suite is at `@strata/virt/conformance`.
 */
export type {
  ComputeDriver,
  DriverCapabilities,
  OperationOptions,
  InitOptions,
  PowerOffOptions,
  RebootOptions,
  DestroyOptions,
  ConsoleOutputOptions,
  SnapshotOptions,
  ResizeOptions,
} from './compute-driver.js';
export type {
  ImageFormat,
  InstanceSpec,
  ImageRef,
  FixedIp,
  VifInfo,
  ConnectionInfo,
  DiskBus,
  BlockDeviceInfo,
  ConfigDriveData,
  SpawnRequest,
  InstanceInfo,
  DiskRole,
  DiskDiagnostics,
  NicDiagnostics,
  InstanceDiagnostics,
  CpuInfo,
  AvailableResource,
  VncConsole,
  SnapshotResult,
  ResizeSpec,
} from './virt-types.js';
export type { VirtHost, LifecycleEvent, LifecycleTransition } from './virt-host.js';
export { PowerState, powerStateName } from './power-state.js';
export type { PowerStateName } from './power-state.js';
export {
  InstanceNotFound,
  InstanceExists,
  InvalidInstanceSpec,
  ImageUnacceptable,
  InstanceInvalidState,
  DeviceAlreadyAttached,
  DeviceNotFound,
  HypervisorError,
  DeviceDetachFailed,
} from './virt-errors.js';
export {
  INSTANCE_UUID_RE,
  TAP_NAME_RE,
  BRIDGE_NAME_RE,
  MAC_RE,
  INSTANCE_NAME_RE,
  MOUNT_DEVICE_RE,
  assertInstanceUuid,
  assertTapName,
  assertBridgeName,
  assertMac,
  assertMountDevice,
  assertSafePath,
  assertConnectionInfo,
  assertBlockDevice,
  assertVif,
  assertSpawnRequest,
  assertResizeSpec,
} from './virt-validation.js';
