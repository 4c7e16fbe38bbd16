/** @module @strata/volume-fake — the in-memory volume backend for tests and scale runs. */
export { FakeVolumeDriver } from './fake-volume-driver.js';
export type { FakeVolumeDriverOptions } from './fake-volume-driver.js';
