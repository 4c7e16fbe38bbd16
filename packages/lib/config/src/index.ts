/** @module @strata/config — oslo.config-like groups from a TOML file plus environment overrides. */
export { loadConfig, sampleConfig, ConfigError } from './config-loader.js';
export type { ConfigSchema, CompiledConfig, LoadOptions } from './config-loader.js';
export { stringOpt, intOpt, portOpt, boolOpt, enumOpt, durationOpt, urlOpt } from './options.js';
export type { OptionSpec, OptionValue } from './options.js';
export { commonSchema, serviceDatabaseUrl } from './common-schema.js';
