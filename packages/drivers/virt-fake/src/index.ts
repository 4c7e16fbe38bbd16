/** @module @strata/virt-fake — the in-memory hypervisor driver for tests and scale runs. */
export { FakeDriver } from './fake-driver.js';
export type { FakeDriverConfig, FakeFailure, FakeOperation } from './fake-driver.js';
