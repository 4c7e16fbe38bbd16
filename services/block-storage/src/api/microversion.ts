/** Block Storage microversions: `OpenStack-API-Version: volume 3.x` (or `X-OpenStack-Volume-API-Version`), 3.0 when absent. */
import { BadRequest, NotAcceptable } from '@strata/errors';

/** Lowest microversion served. */
export const MIN_VERSION = '3.0';
/** Highest microversion served: every behaviour change up to it that applies to us is implemented. */
export const MAX_VERSION = '3.70';

/** A `3.x` version, comparable. */
export class ApiVersion {
  readonly major: number;
  readonly minor: number;

  constructor(major: number, minor: number) {
    this.major = major;
    this.minor = minor;
  }

  /** Parse `3.27`; undefined when it is not `X.Y`. */
  static parse(text: string): ApiVersion | undefined {
    const m = /^([1-9]\d*)\.(0|[1-9]\d*)$/.exec(text.trim());
    if (m === null) return undefined;
    return new ApiVersion(Number(m[1]), Number(m[2]));
  }

  /** Negative, zero or positive as this is lower, equal or higher than `other`. */
  compare(other: ApiVersion): number {
    return this.major - other.major || this.minor - other.minor;
  }

  /** True when `min <= this` (and `this <= max` when given), as cinder's `matches`. */
  atLeast(min: string): boolean {
    return this.compare(ApiVersion.parse(min) as ApiVersion) >= 0;
  }

  /** True within [min, max]. */
  between(min: string, max: string): boolean {
    return this.atLeast(min) && this.compare(ApiVersion.parse(max) as ApiVersion) <= 0;
  }

  toString(): string {
    return `${this.major}.${this.minor}`;
  }
}

const MIN = ApiVersion.parse(MIN_VERSION) as ApiVersion;
const MAX = ApiVersion.parse(MAX_VERSION) as ApiVersion;

/**
 * The version a request asks for. `OpenStack-API-Version: volume X.Y` wins over the legacy
 * `X-OpenStack-Volume-API-Version: X.Y`; `latest` means the maximum; absent means 3.0.
 * Throws 400 for a malformed version and 406 for one outside [MIN_VERSION, MAX_VERSION].
 */
export function requestedVersion(headers: Readonly<Record<string, string | string[] | undefined>>): ApiVersion {
  let text: string | undefined;
  const modern = headers['openstack-api-version'];
  for (const entry of (Array.isArray(modern) ? modern.join(',') : modern ?? '').split(',')) {
    const [service, value] = entry.trim().split(/\s+/, 2);
    if (service?.toLowerCase() === 'volume' && value !== undefined) text = value;
  }
  if (text === undefined) {
    const legacy = headers['x-openstack-volume-api-version'];
    text = Array.isArray(legacy) ? legacy[legacy.length - 1] : legacy;
  }
  if (text === undefined || text.trim() === '') return MIN;
  if (text.trim().toLowerCase() === 'latest') return MAX;
  const v = ApiVersion.parse(text);
  if (v === undefined) throw new BadRequest(`API Version String ${text} is of invalid format. Must be of format MajorNum.MinorNum.`, { version: text }, 'InvalidAPIVersionString');
  if (v.compare(MIN) < 0 || v.compare(MAX) > 0) {
    throw new NotAcceptable(`Version ${text} is not supported by the API. Minimum is ${MIN_VERSION} and maximum is ${MAX_VERSION}.`, { version: text }, 'InvalidGlobalAPIVersion');
  }
  return v;
}

/** The lowest version (for responses to requests whose header was rejected). */
export const BASE_VERSION = MIN;
