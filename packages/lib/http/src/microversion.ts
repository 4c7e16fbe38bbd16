/**
 * Microversion negotiation shared by nova and cinder: `OpenStack-API-Version: <service> X.Y`
 * wins over the service's legacy header, `latest` is the maximum, no header is the minimum.
 */
import { BadRequest, NotAcceptable } from '@strata/errors';

/** An `X.Y` API version, comparable. */
export class ApiVersion {
  readonly major: number;
  readonly minor: number;

  constructor(major: number, minor: number) {
    this.major = major;
    this.minor = minor;
  }

  /** Parse `2.47`; undefined when it is not `X.Y` (no sign, no leading zeros). */
  static parse(text: string): ApiVersion | undefined {
    const m = /^([1-9]\d*)\.(0|[1-9]\d*)$/.exec(text.trim());
    if (m === null) return undefined;
    return new ApiVersion(Number(m[1]), Number(m[2]));
  }

  /** Negative, zero or positive as this is lower than, equal to or higher than `other`. */
  compare(other: ApiVersion): number {
    return this.major - other.major || this.minor - other.minor;
  }

  /** True when this is at least `min` (a literal such as "2.47"). */
  atLeast(min: string): boolean {
    return this.compare(literal(min)) >= 0;
  }

  /** True within [min, max], both literals, as cinder's `matches`. */
  between(min: string, max: string): boolean {
    return this.atLeast(min) && this.compare(literal(max)) <= 0;
  }

  toString(): string {
    return `${this.major}.${this.minor}`;
  }
}

/** A version written in code; a malformed one is a bug, not a client error. */
function literal(text: string): ApiVersion {
  const v = ApiVersion.parse(text);
  if (v === undefined) throw new Error(`PROGRAMMING ERROR: bad version literal ${text}`);
  return v;
}

/** Request headers as Node gives them: lower-case names, repeated headers as arrays. */
export type VersionHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** How one service reads its microversion. */
export interface MicroversionRules {
  /** The service's entry in `OpenStack-API-Version` (`compute 2.37`, `volume 3.44`). */
  readonly serviceType: 'compute' | 'volume';
  /** The pre-2.27 / pre-3.x header, lower-case (`x-openstack-nova-api-version`). */
  readonly legacyHeader: string;
  /** Served when no version is asked for. */
  readonly min: ApiVersion;
  /** Served for `latest`. */
  readonly max: ApiVersion;
  /** Which value counts when the service's entry or the legacy header repeats: nova reads the first, cinder the last. */
  readonly repeated: 'first' | 'last';
}

/**
 * The version a request asks for under `rules`. Throws 400 `InvalidAPIVersionString` for a
 * value that is not `X.Y` and 406 `InvalidGlobalAPIVersion` for one outside [min, max].
 */
export function negotiateMicroversion(rules: MicroversionRules, headers: VersionHeaders): ApiVersion {
  const text = serviceEntry(rules, headers['openstack-api-version']) ?? pick(rules, headers[rules.legacyHeader]);
  if (text === undefined || text.trim() === '') return rules.min;
  if (text.trim().toLowerCase() === 'latest') return rules.max;
  const v = ApiVersion.parse(text);
  if (v === undefined) {
    throw new BadRequest(`API Version String ${text} is of invalid format. Must be of format MajorNum.MinorNum.`, { version: text }, 'InvalidAPIVersionString');
  }
  if (v.compare(rules.min) < 0 || v.compare(rules.max) > 0) {
    throw new NotAcceptable(`Version ${v} is not supported by the API. Minimum is ${rules.min} and maximum is ${rules.max}.`, { version: v.toString() }, 'InvalidGlobalAPIVersion');
  }
  return v;
}

/** The value of the service's entry in `OpenStack-API-Version` (`compute 2.1, volume 3.5`), if any. */
function serviceEntry(rules: MicroversionRules, header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const values: string[] = [];
  for (const entry of (Array.isArray(header) ? header.join(',') : header).split(',')) {
    const [service, value] = entry.trim().split(/\s+/, 2);
    if (service?.toLowerCase() === rules.serviceType && value !== undefined) values.push(value);
  }
  return pick(rules, values);
}

function pick(rules: MicroversionRules, value: string | readonly string[] | undefined): string | undefined {
  if (typeof value === 'string' || value === undefined) return value;
  return rules.repeated === 'first' ? value[0] : value[value.length - 1];
}
