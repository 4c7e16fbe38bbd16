/** @module @strata/cli — the `strata` command and the all-in-one cloud it starts. */
export { main } from './main.js';
export { startCloud } from './cloud.js';
export type { Cloud, StartCloudOptions } from './cloud.js';
export { strataSchema, locate, loadStrataConfig } from './strata-config.js';
export type { StrataConfig } from './strata-config.js';
export { writeCredentialFiles } from './credential-files.js';
