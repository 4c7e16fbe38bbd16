/** Loads a config: defaults < TOML file < environment (OS_<GROUP>__<OPTION>) < overrides; unknown keys are errors. */
import { readFileSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import type { OptionSpec, OptionValue } from './options.js';

/** Groups of options, as oslo.config has them: `{ database: { connection: stringOpt(...) } }`. */
export type ConfigSchema = Readonly<Record<string, Readonly<Record<string, OptionSpec<unknown>>>>>;

/** The compiled, frozen config a schema yields. */
export type CompiledConfig<S extends ConfigSchema> = {
  readonly [G in keyof S]: { readonly [O in keyof S[G]]: OptionValue<S[G][O]> };
};

/** Thrown for a bad config: names the key, the value and what was expected. */
export class ConfigError extends Error {
  readonly key: string;
  constructor(key: string, message: string) {
    super(message);
    this.name = 'ConfigError';
    this.key = key;
  }
}

/** Where config values come from. */
export interface LoadOptions {
  /** A TOML file; absent or missing file means defaults. */
  readonly file?: string;
  /** The environment to read overrides from. Pass `process.env` at start, your own in tests. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Highest precedence values (CLI flags): `{ group: { option: value } }`. */
  readonly overrides?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

function envName(group: string, option: string): string {
  return `OS_${group.toUpperCase()}__${option.toUpperCase()}`;
}

function show(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** Compile a config from its schema; throws ConfigError on an unknown key or a bad value. */
export function loadConfig<S extends ConfigSchema>(schema: S, options: LoadOptions = {}): CompiledConfig<S> {
  let fileData: Record<string, unknown> = {};
  if (options.file !== undefined) {
    let text: string | undefined;
    try {
      text = readFileSync(options.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new ConfigError(options.file, `cannot read config file ${options.file}: ${(err as Error).message}`);
    }
    if (text !== undefined) {
      try {
        fileData = parseToml(text) as Record<string, unknown>;
      } catch (err) {
        throw new ConfigError(options.file, `config file ${options.file} is not valid TOML: ${(err as Error).message}`);
      }
    }
  }
  for (const [group, body] of Object.entries(fileData)) {
    const groupSpec = schema[group];
    if (groupSpec === undefined || typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new ConfigError(group, `unknown config group [${group}]`);
    }
    for (const key of Object.keys(body)) {
      if (!(key in groupSpec)) throw new ConfigError(`${group}.${key}`, `unknown config key ${group}.${key}`);
    }
  }
  for (const [group, body] of Object.entries(options.overrides ?? {})) {
    for (const key of Object.keys(body)) {
      if (schema[group]?.[key] === undefined) throw new ConfigError(`${group}.${key}`, `unknown config key ${group}.${key}`);
    }
  }
  const env = options.env ?? {};
  const out: Record<string, Record<string, unknown>> = {};
  for (const [group, specs] of Object.entries(schema)) {
    const values: Record<string, unknown> = {};
    const fileGroup = (fileData[group] ?? {}) as Record<string, unknown>;
    for (const [option, spec] of Object.entries(specs)) {
      const key = `${group}.${option}`;
      const candidates: Array<[string, unknown]> = [];
      if (option in fileGroup) candidates.push([`the config file`, fileGroup[option]]);
      const fromEnv = env[envName(group, option)];
      if (fromEnv !== undefined) candidates.push([envName(group, option), fromEnv]);
      const override = options.overrides?.[group]?.[option];
      if (override !== undefined) candidates.push([`a flag`, override]);
      let value: unknown = spec.default;
      for (const [where, raw] of candidates) {
        try {
          value = spec.parse(raw);
        } catch (err) {
          throw new ConfigError(key, `bad value ${show(raw)} for ${key} (from ${where}): ${(err as Error).message}`);
        }
      }
      values[option] = value;
    }
    out[group] = Object.freeze(values);
  }
  return Object.freeze(out) as CompiledConfig<S>;
}

/** Render a sample TOML file with every option's help and default (for etc/). */
export function sampleConfig(schema: ConfigSchema): string {
  const lines: string[] = [];
  for (const [group, specs] of Object.entries(schema)) {
    lines.push(`[${group}]`);
    for (const [option, spec] of Object.entries(specs)) {
      lines.push(`# ${spec.help}`);
      lines.push(`# ${option} = ${JSON.stringify(spec.default)}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
