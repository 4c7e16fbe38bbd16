/** Typed option specs: a default, operator-facing help, and a parser that validates a raw value. */

/** One option: how to parse a raw value (file or environment) and what to use when absent. */
export interface OptionSpec<T> {
  readonly default: T;
  /** Operator-facing help, with the possible values. */
  readonly help: string;
  /** Turns a raw value from the file (any TOML type) or the environment (a string) into T; throws a message on a bad value. */
  readonly parse: (raw: unknown) => T;
}

/** The value type an OptionSpec produces. */
export type OptionValue<S> = S extends OptionSpec<infer T> ? T : never;

function fail(expected: string): never {
  throw new Error(expected);
}

/** A string option. */
export function stringOpt(def: string, help: string, check?: (v: string) => string | undefined): OptionSpec<string> {
  return {
    default: def,
    help,
    parse: (raw) => {
      if (typeof raw !== 'string') fail('expected a string');
      const problem = check?.(raw);
      if (problem !== undefined) fail(problem);
      return raw;
    },
  };
}

/** An integer option within [min, max]. */
export function intOpt(def: number, help: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): OptionSpec<number> {
  return {
    default: def,
    help: `${help} Possible values: an integer from ${min} to ${max}.`,
    parse: (raw) => {
      const n = typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : raw;
      if (typeof n !== 'number' && typeof n !== 'bigint') fail('expected an integer');
      const v = Number(n);
      if (!Number.isInteger(v)) fail('expected an integer');
      if (v < min || v > max) fail(`expected an integer from ${min} to ${max}`);
      return v;
    },
  };
}

/** A TCP port. */
export function portOpt(def: number, help: string): OptionSpec<number> {
  return intOpt(def, help, 0, 65535);
}

/** A boolean option: true/false, and in the environment also 1/0, yes/no. */
export function boolOpt(def: boolean, help: string): OptionSpec<boolean> {
  return {
    default: def,
    help: `${help} Possible values: true, false.`,
    parse: (raw) => {
      if (typeof raw === 'boolean') return raw;
      if (typeof raw === 'string') {
        const s = raw.trim().toLowerCase();
        if (['1', 'true', 'yes', 'on'].includes(s)) return true;
        if (['0', 'false', 'no', 'off'].includes(s)) return false;
      }
      return fail('expected true or false');
    },
  };
}

/** One of a fixed set of strings. */
export function enumOpt<const C extends string>(def: C, choices: readonly C[], help: string): OptionSpec<C> {
  return {
    default: def,
    help: `${help} Possible values: ${choices.join(', ')}.`,
    parse: (raw) => {
      if (typeof raw !== 'string' || !(choices as readonly string[]).includes(raw)) fail(`expected one of ${choices.join(', ')}`);
      return raw as C;
    },
  };
}

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration, written as seconds (a number) or with a unit ("500ms", "30s", "1h"); compiled to milliseconds. */
export function durationOpt(defMs: number, help: string, minMs = 0, maxMs = Number.MAX_SAFE_INTEGER): OptionSpec<number> {
  return {
    default: defMs,
    help: `${help} Possible values: seconds as a number, or a number with a unit ms, s, m, h or d.`,
    parse: (raw) => {
      let ms: number;
      if (typeof raw === 'number') ms = raw * 1000;
      else if (typeof raw === 'string') {
        const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(raw);
        if (m === null) return fail('expected a duration such as 30s or 1h');
        ms = Number(m[1]) * (UNITS[m[2] ?? 's'] ?? 1000);
      } else return fail('expected a duration such as 30s or 1h');
      if (ms < minMs || ms > maxMs) fail(`expected a duration from ${minMs} ms to ${maxMs} ms`);
      return Math.round(ms);
    },
  };
}

/** A URL whose scheme is one of `schemes`. */
export function urlOpt(def: string, schemes: readonly string[], help: string): OptionSpec<string> {
  return stringOpt(def, `${help} Possible values: a URL with scheme ${schemes.join(', ')}.`, (v) => {
    if (v === '') return undefined;
    const m = /^([a-z][a-z0-9+.-]*):/i.exec(v);
    if (m === null || !schemes.includes((m[1] ?? '').toLowerCase())) return `expected a URL with scheme ${schemes.join(', ')}`;
    return undefined;
  });
}
