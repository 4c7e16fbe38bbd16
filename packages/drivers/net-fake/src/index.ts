/** @module @strata/net-fake — the `noop` network backend: records ports, wires nothing. */
export { NoopNetworkBackend } from './noop-network-backend.js';
export type { NoopNetworkBackendOptions, NoopBackendCall } from './noop-network-backend.js';
