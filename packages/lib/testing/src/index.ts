/** @module @strata/testing — harnesses that boot real Strata services for tests. */
export { isReachable, servicesRequired, skipUnlessReachable } from './reachable.js';
export { testDatabases } from './test-databases.js';
export type { TestDatabase } from './test-databases.js';
