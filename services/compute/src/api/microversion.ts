/** Compute microversion negotiation: `OpenStack-API-Version: compute X.Y` or `X-OpenStack-Nova-API-Version`, 2.1 when absent. */
import { BadRequest, NotAcceptable } from '@strata/errors';

/** A compute API version (2.Y). */
export class ApiVersion {
  readonly major: number;
  readonly minor: number;
  constructor(major: number, minor: number) {
    this.major = major;
    this.minor = minor;
  }

  /** Parse "X.Y"; undefined when malformed. */
  static parse(s: string): ApiVersion | undefined {
    const m = /^([1-9]\d*)\.(0|[1-9]\d*)$/.exec(s.trim());
    if (m === null) return undefined;
    return new ApiVersion(Number(m[1]), Number(m[2]));
  }

  compare(o: ApiVersion): number {
    return this.major - o.major || this.minor - o.minor;
  }

  /** True when this version is at least `v` ("2.47"). */
  atLeast(v: string): boolean {
    const o = ApiVersion.parse(v);
    if (o === undefined) throw new Error(`PROGRAMMING ERROR: bad version literal ${v}`);
    return this.compare(o) >= 0;
  }

  toString(): string {
    return `${this.major}.${this.minor}`;
  }
}

/** The lowest microversion served. */
export const MIN_VERSION = new ApiVersion(2, 1);
/**
 * The highest microversion served: every response change up to it is implemented (see
 * docs/compute.md for the list).
 */
export const MAX_VERSION = new ApiVersion(2, 96);

/** The value of the compute entry of an `OpenStack-API-Version` header, if any. */
function fromOpenStackHeader(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  const all = (Array.isArray(value) ? value.join(',') : value).split(',');
  for (const part of all) {
    const [service, version] = part.trim().split(/\s+/, 2);
    if (service?.toLowerCase() === 'compute' && version !== undefined) return version;
  }
  return undefined;
}

/**
 * The version a request asks for. The `OpenStack-API-Version` header wins over the legacy one;
 * `latest` means MAX_VERSION. Throws 400 for a malformed value and 406 outside [MIN, MAX].
 */
export function negotiateVersion(headers: Readonly<Record<string, string | string[] | undefined>>, min = MIN_VERSION, max = MAX_VERSION): ApiVersion {
  const legacy = headers['x-openstack-nova-api-version'];
  const raw = fromOpenStackHeader(headers['openstack-api-version']) ?? (Array.isArray(legacy) ? legacy[0] : legacy);
  if (raw === undefined || raw.trim() === '') return min;
  if (raw.trim().toLowerCase() === 'latest') return max;
  const v = ApiVersion.parse(raw);
  if (v === undefined) throw new BadRequest(`API Version String ${raw} is of invalid format. Must be of format MajorNum.MinorNum.`, {}, 'InvalidAPIVersionString');
  if (v.compare(min) < 0 || v.compare(max) > 0) {
    throw new NotAcceptable(`Version ${v} is not supported by the API. Minimum is ${min} and maximum is ${max}.`, { version: v.toString() }, 'InvalidGlobalAPIVersion');
  }
  return v;
}
