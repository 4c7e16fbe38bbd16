/** Compute microversion negotiation: `OpenStack-API-Version: compute X.Y` or `X-OpenStack-Nova-API-Version`, 2.1 when absent. */
import { ApiVersion, negotiateMicroversion, type VersionHeaders } from '@strata/http';

export { ApiVersion };

/** The lowest microversion served. */
export const MIN_VERSION = new ApiVersion(2, 1);
/**
 * The highest microversion served: every response change up to it is implemented (see
 * docs/compute.md for the list).
 */
export const MAX_VERSION = new ApiVersion(2, 96);

/**
 * The version a request asks for. The `OpenStack-API-Version` header wins over the legacy one;
 * `latest` means MAX_VERSION. Throws 400 for a malformed value and 406 outside [MIN, MAX].
 */
export function negotiateVersion(headers: VersionHeaders, min = MIN_VERSION, max = MAX_VERSION): ApiVersion {
  return negotiateMicroversion({ serviceType: 'compute', legacyHeader: 'x-openstack-nova-api-version', min, max, repeated: 'first' }, headers);
}
