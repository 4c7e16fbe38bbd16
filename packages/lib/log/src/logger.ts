/** The Logger interface every component receives, and its pino-backed implementation. */
import { pino, type Logger as PinoLogger } from 'pino';

/** Levels, lowest first. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

/**
 * A structured logger: the message text stays constant, data goes in the first argument.
 * Never pass tokens, passwords or whole request contexts.
 */
export interface Logger {
  trace(fields: object, msg: string): void;
  debug(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
  /** A logger whose every line also carries `bindings` (component, host, requestId...). */
  child(bindings: object): Logger;
  /** The pino instance, for Fastify's `loggerInstance`. */
  readonly pino: PinoLogger;
}

/** Options of createLogger. */
export interface LoggerOptions {
  /** @default 'info' */
  readonly level?: LogLevel;
  /** Where lines go. @default stdout */
  readonly destination?: NodeJS.WritableStream;
  /** Append lines to this file instead (created with its directory). */
  readonly file?: string;
  /** Bound to every line, e.g. `{ service: 'identity' }`. */
  readonly bindings?: object;
}

class PinoBackedLogger implements Logger {
  readonly pino: PinoLogger;
  constructor(p: PinoLogger) {
    this.pino = p;
  }
  trace(fields: object, msg: string): void {
    this.pino.trace(fields, msg);
  }
  debug(fields: object, msg: string): void {
    this.pino.debug(fields, msg);
  }
  info(fields: object, msg: string): void {
    this.pino.info(fields, msg);
  }
  warn(fields: object, msg: string): void {
    this.pino.warn(fields, msg);
  }
  error(fields: object, msg: string): void {
    this.pino.error(fields, msg);
  }
  child(bindings: object): Logger {
    return new PinoBackedLogger(this.pino.child(bindings));
  }
}

/** Build the process logger. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const p = pino(
    {
      level: options.level ?? 'info',
      base: { ...(options.bindings ?? {}) },
      redact: { paths: ['password', '*.password', 'token', '*.token', 'secret', '*.secret'], censor: '***' },
    },
    options.file !== undefined ? pino.destination({ dest: options.file, mkdir: true, sync: false }) : ((options.destination ?? process.stdout) as pino.DestinationStream),
  );
  return new PinoBackedLogger(p);
}

/** A logger that writes nothing (tests). */
export function silentLogger(): Logger {
  return new PinoBackedLogger(pino({ level: 'silent' }));
}
