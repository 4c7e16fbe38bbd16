/** Helpers for this package's tests; not exported from the package. */
import { silentLogger, type Logger } from '@strata/log';

/** One line a captureLogger recorded, with the child bindings merged into its fields. */
export interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly fields: Record<string, unknown>;
}

/** A Logger that appends every line to `lines`, so a test can assert what was logged. */
export function captureLogger(lines: LogLine[], bindings: Record<string, unknown> = {}): Logger {
  const at =
    (level: string) =>
    (fields: object, msg: string): void => {
      lines.push({ level, msg, fields: { ...bindings, ...fields } });
    };
  return {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more: object) => captureLogger(lines, { ...bindings, ...more }),
    pino: silentLogger().pino,
  };
}
