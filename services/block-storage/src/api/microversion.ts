/** Block Storage microversions: `OpenStack-API-Version: volume 3.x` (or `X-OpenStack-Volume-API-Version`), 3.0 when absent. */
import { ApiVersion, negotiateMicroversion, type MicroversionRules, type VersionHeaders } from '@strata/http';

export { ApiVersion };

/** Lowest microversion served. */
export const MIN_VERSION = '3.0';
/** Highest microversion served: every behaviour change up to it that applies to us is implemented. */
export const MAX_VERSION = '3.70';

const RULES: MicroversionRules = {
  serviceType: 'volume',
  legacyHeader: 'x-openstack-volume-api-version',
  min: ApiVersion.parse(MIN_VERSION) as ApiVersion,
  max: ApiVersion.parse(MAX_VERSION) as ApiVersion,
  repeated: 'last',
};

/**
 * The version a request asks for. `OpenStack-API-Version: volume X.Y` wins over the legacy
 * `X-OpenStack-Volume-API-Version: X.Y`; `latest` means the maximum; absent means 3.0.
 * Throws 400 for a malformed version and 406 for one outside [MIN_VERSION, MAX_VERSION].
 */
export function requestedVersion(headers: VersionHeaders): ApiVersion {
  return negotiateMicroversion(RULES, headers);
}

/** The lowest version (for responses to requests whose header was rejected). */
export const BASE_VERSION = RULES.min;
