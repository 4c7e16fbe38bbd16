/**
 * @module @strata/virt-qemu — the QEMU hypervisor driver (one QEMU per guest, managed over QMP),
 * its QMP client, and the builder of Strata's bootable test image.
 */
export { QemuDriver } from './qemu-driver.js';
export type { QemuDriverConfig, CompiledQemuDriverConfig } from './qemu-driver-config.js';
export { compileQemuDriverConfig } from './qemu-driver-config.js';
export { QmpClient, QmpError, QmpClosedError } from './qmp-client.js';
export type { QmpEvent, QmpVersion, QmpConnectOptions, QmpCallOptions } from './qmp-client.js';
export { probeAccel } from './accel-probe.js';
export type { Accel, AccelProbeResult, AccelProbeOptions } from './accel-probe.js';
export { execFileRunner, CommandFailed } from './host-commands.js';
export type { CommandRunner, CommandResult, RunOptions } from './host-commands.js';
export {
  buildTestImage,
  TEST_IMAGE_BUILD_PACKAGES,
  TEST_IMAGE_SOURCE_PACKAGES,
  TEST_IMAGE_PROPERTIES,
  TEST_IMAGE_MIN_DISK_GB,
  TEST_IMAGE_MIN_RAM_MB,
} from './image/test-image-builder.js';
export type { BuildTestImageOptions, BuildTestImageResult } from './image/test-image-builder.js';
export { BANNER_START, BANNER_END } from './image/guest-files.js';
