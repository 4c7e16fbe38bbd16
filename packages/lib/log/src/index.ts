/** @module @strata/log — one structured JSON logger (pino) behind a small interface. */
export { createLogger, silentLogger } from './logger.js';
export type { Logger, LogLevel, LoggerOptions } from './logger.js';
