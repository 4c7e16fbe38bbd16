/** @module @strata/volume-file — the file volume backend (qcow2 or raw files via qemu-img, NBD exports via qemu-nbd). */
export { FileVolumeDriver } from './file-volume-driver.js';
export type { FileVolumeDriverOptions, FileVolumeFormat } from './file-volume-driver.js';
export { QemuImg } from './qemu-img.js';
export type { QemuImageInfo } from './qemu-img.js';
