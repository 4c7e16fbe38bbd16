/** @module @strata/errors — the error hierarchy and its wire codec. */
export {
  OpenStackError,
  BadRequest,
  Unauthorized,
  Forbidden,
  NotFound,
  MethodNotAllowed,
  NotAcceptable,
  Conflict,
  OverLimit,
  UnsupportedMediaType,
  NotImplemented,
  ServiceUnavailable,
  InternalError,
  isOpenStackError,
} from './openstack-error.js';
export type { ErrorFields, ErrorOptions } from './openstack-error.js';
export { RemoteError, allowRemoteErrors, errorToWire, wireToError } from './wire.js';
export type { WireError } from './wire.js';
