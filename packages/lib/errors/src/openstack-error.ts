/** The one error hierarchy of Strata: every error an API answers with is an OpenStackError. */

/** Plain data carried by an error; it crosses the RPC wire unchanged. */
export type ErrorFields = Readonly<Record<string, string | number | boolean | null>>;

/** Options shared by every error constructor. */
export interface ErrorOptions {
  /** The lower-level error this one wraps. */
  readonly cause?: unknown;
}

/**
 * Base class: an HTTP status, a stable code (the error's name, e.g. `UserNotFound`) and typed
 * fields. Services render it in their own dialect (see `@strata/http`).
 */
export class OpenStackError extends Error {
  /** HTTP status the API answers with. */
  readonly status: number;
  /** Stable identifier, also the neutron `type` and the RPC registry key. */
  readonly code: string;
  /** Data that explains the error, safe to show to the caller. */
  readonly fields: ErrorFields;

  constructor(status: number, code: string, message: string, fields: ErrorFields = {}, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = code;
    this.status = status;
    this.code = code;
    this.fields = Object.freeze({ ...fields });
  }
}

/** 400: the request is malformed or a value is invalid. */
export class BadRequest extends OpenStackError {
  constructor(message: string, fields: ErrorFields = {}, code = 'BadRequest', options: ErrorOptions = {}) {
    super(400, code, message, fields, options);
  }
}

/** 401: no credentials, or credentials that do not hold (bad password, expired token). */
export class Unauthorized extends OpenStackError {
  constructor(message = 'The request you have made requires authentication.', fields: ErrorFields = {}, code = 'Unauthorized') {
    super(401, code, message, fields);
  }
}

/** 403: authenticated, but the policy does not allow it. */
export class Forbidden extends OpenStackError {
  constructor(message = 'You are not authorized to perform the requested action.', fields: ErrorFields = {}, code = 'Forbidden') {
    super(403, code, message, fields);
  }
}

/** 404: the resource does not exist, or is not visible to the caller. */
export class NotFound extends OpenStackError {
  constructor(message: string, fields: ErrorFields = {}, code = 'NotFound') {
    super(404, code, message, fields);
  }
}

/** 405: the method is not allowed on this resource. */
export class MethodNotAllowed extends OpenStackError {
  constructor(message = 'The method is not allowed for this resource.', fields: ErrorFields = {}) {
    super(405, 'MethodNotAllowed', message, fields);
  }
}

/** 406: e.g. a microversion outside the supported range. */
export class NotAcceptable extends OpenStackError {
  constructor(message: string, fields: ErrorFields = {}, code = 'NotAcceptable') {
    super(406, code, message, fields);
  }
}

/** 409: the request conflicts with the resource's state (duplicate name, in use). */
export class Conflict extends OpenStackError {
  constructor(message: string, fields: ErrorFields = {}, code = 'Conflict') {
    super(409, code, message, fields);
  }
}

/** 413: a body too large, or a quota exceeded (the status OpenStack uses for both). */
export class OverLimit extends OpenStackError {
  constructor(message: string, fields: ErrorFields = {}, code = 'OverLimit', status: 413 | 429 = 413) {
    super(status, code, message, fields);
  }
}

/** 415: a body of a media type the route does not take. */
export class UnsupportedMediaType extends OpenStackError {
  constructor(message: string, fields: ErrorFields = {}) {
    super(415, 'UnsupportedMediaType', message, fields);
  }
}

/** 501: known but not implemented. */
export class NotImplemented extends OpenStackError {
  constructor(message = 'The action you have requested has not been implemented.', fields: ErrorFields = {}) {
    super(501, 'NotImplemented', message, fields);
  }
}

/** 503: a dependency (keystone, the bus, a host) is not reachable. */
export class ServiceUnavailable extends OpenStackError {
  constructor(message: string, fields: ErrorFields = {}, code = 'ServiceUnavailable', options: ErrorOptions = {}) {
    super(503, code, message, fields, options);
  }
}

/** 500: anything unexpected; its message never reaches the client. */
export class InternalError extends OpenStackError {
  constructor(message = 'An unexpected error prevented the server from fulfilling your request.', options: ErrorOptions = {}) {
    super(500, 'InternalError', message, {}, options);
  }
}

/** True when `err` is an OpenStackError, also across package copies (matched on shape). */
export function isOpenStackError(err: unknown): err is OpenStackError {
  if (err instanceof OpenStackError) return true;
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { status?: unknown; code?: unknown; fields?: unknown };
  return typeof e.status === 'number' && typeof e.code === 'string' && typeof e.fields === 'object';
}
