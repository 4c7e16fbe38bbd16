/** Small pieces the block-storage API layer shares: cinder's value parsing, visibility and the API options. */
import { BadRequest } from '@strata/errors';
import type { RequestContext } from '@strata/auth';
import type { RpcContext } from '@strata/rpc';

/** The largest integer cinder stores (sizes, quotas). */
export const DB_MAX_INT = 0x7fffffff;

/** Options of the API behaviour (cinder.conf [DEFAULT]). */
export interface BlockStorageApiConfig {
  /** Zone volumes get when none is asked for (storage_availability_zone). */
  readonly defaultAvailabilityZone: string;
  /** Type volumes get when none is asked for (default_volume_type). */
  readonly defaultVolumeType: string;
  /** A service silent this long is down (service_down_time). */
  readonly serviceDownTimeMs: number;
}

/** cinder's strutils.bool_from_string(strict=True): 400 for anything else. */
export function parseBool(value: unknown, field: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const s = value.trim().toLowerCase();
    if (['1', 't', 'true', 'on', 'y', 'yes'].includes(s)) return true;
    if (['0', 'f', 'false', 'off', 'n', 'no'].includes(s)) return false;
  }
  throw new BadRequest(`Invalid input for field/attribute ${field}. Value: ${String(value)}. Value must be a boolean.`, { field }, 'InvalidInput');
}

/** A size in GiB: a positive integer or a string of digits, at most DB_MAX_INT; 400 otherwise. */
export function parseSize(value: unknown, field = 'size'): number {
  let n: number | undefined;
  if (typeof value === 'number' && Number.isInteger(value)) n = value;
  else if (typeof value === 'string' && /^[0-9]+$/.test(value.trim())) n = Number(value.trim());
  if (n === undefined || n < 1 || n > DB_MAX_INT) {
    throw new BadRequest(`Invalid input for field/attribute ${field}. Value: ${String(value)}. ${field} must be an integer and greater than 0 and less than or equal to ${DB_MAX_INT}.`, { field }, 'InvalidInput');
  }
  return n;
}

/** A name or description: null, or a string of at most 255 characters with surrounding blanks removed. */
export function parseText(value: unknown, field: string, max = 255): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') throw new BadRequest(`Invalid input for field/attribute ${field}. Value must be a string.`, { field }, 'InvalidInput');
  const s = value.trim();
  if (s.length > max) throw new BadRequest(`Invalid input for field/attribute ${field}. It must be at most ${max} characters.`, { field }, 'InvalidInput');
  return s;
}

const META_KEY = /^[a-zA-Z0-9-_:. /]{1,255}$/;

/** Metadata: an object of string values with keys cinder accepts; 400 otherwise. */
export function parseMetadata(value: unknown, field = 'metadata'): Record<string, string> {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new BadRequest(`Invalid input for field/attribute ${field}. Value must be an object.`, { field }, 'InvalidInput');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (!META_KEY.test(k)) throw new BadRequest(`Invalid input for field/attribute ${field}. Key '${k}' is not allowed.`, { field }, 'InvalidInput');
    if (typeof v !== 'string' || v.length > 255) throw new BadRequest(`Invalid input for field/attribute ${field}. Value of '${k}' must be a string of at most 255 characters.`, { field }, 'InvalidInput');
    out[k] = v;
  }
  return out;
}

/** True for an id shaped like a UUID (with or without dashes). */
export function isUuidLike(id: string): boolean {
  return /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/.test(id);
}

/** The RPC context of a request, carrying its trace. */
export function rpcContext(ctx: RequestContext, parentStep?: number): RpcContext {
  const base = ctx.toRpc();
  return { ...base, trace: { traceId: ctx.globalRequestId ?? ctx.requestId, ...(parentStep !== undefined ? { parentStep } : {}) } };
}

/** True when the caller sees the resource: an admin, or its project. */
export function visibleTo(ctx: RequestContext, projectId: string): boolean {
  return ctx.isAdmin || ctx.projectId === projectId;
}
