/** Errors across the RPC wire: serialize to plain data, rebuild only what the registry allows. */
import { OpenStackError, isOpenStackError, type ErrorFields } from './openstack-error.js';

/** The shape of an error on the wire. */
export interface WireError {
  readonly name: string;
  readonly code: string;
  readonly status: number;
  readonly message: string;
  readonly fields: ErrorFields;
}

/** A remote failure whose code is not in the allow-list; always a 500 at an API edge. */
export class RemoteError extends OpenStackError {
  readonly remoteCode: string;
  constructor(remoteCode: string, message: string) {
    super(500, 'RemoteError', message, { remoteCode });
    this.remoteCode = remoteCode;
  }
}

const allowed = new Set<string>();

/** Allow errors with these codes to be rebuilt with their status (Nova's ALLOWED_EXMODS). */
export function allowRemoteErrors(...codes: readonly string[]): void {
  for (const c of codes) allowed.add(c);
}

/** Turn any thrown value into its wire form. */
export function errorToWire(err: unknown): WireError {
  if (isOpenStackError(err)) {
    return { name: err.code, code: err.code, status: err.status, message: err.message, fields: { ...err.fields } };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { name: 'Error', code: 'InternalError', status: 500, message, fields: {} };
}

/** Rebuild an error from its wire form: the same status and code when allowed, else RemoteError. */
export function wireToError(wire: WireError): OpenStackError {
  const known = allowed.has(wire.code) || wire.status < 500;
  if (known) return new OpenStackError(wire.status, wire.code, wire.message, wire.fields);
  return new RemoteError(wire.code, wire.message);
}
