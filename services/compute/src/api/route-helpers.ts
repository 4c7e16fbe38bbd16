/** Small request helpers for the compute routes: the negotiated version, the proxy-API gate, bodies, validation errors worded as nova words them. */
import type { FastifyRequest } from 'fastify';
import { contextOf, type RequestContext } from '@strata/auth';
import { BadRequest, NotFound } from '@strata/errors';
import { queryInt, queryString, requestBaseUrl, type Query } from '@strata/http';
import type { ApiVersion } from './microversion.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The negotiated compute microversion. */
    apiVersion: ApiVersion | null;
  }
}

/** The negotiated version (set by the microversion hook on every /v2.1 route). */
export function versionOf(request: FastifyRequest): ApiVersion {
  if (request.apiVersion === null) throw new Error('PROGRAMMING ERROR: no microversion on this route');
  return request.apiVersion;
}

/**
 * The caller's context on one of nova's deprecated proxy APIs (images, volumes, networks, security
 * groups, floating IPs): 404 NotFound from 2.36, where nova removed them, then the proxy policy check.
 */
export function proxyContext(request: FastifyRequest): RequestContext {
  if (versionOf(request).atLeast('2.36')) throw new NotFound('The resource could not be found.', {}, 'NotFound');
  const ctx = contextOf(request);
  ctx.authorize('os_compute_api:flavors');
  return ctx;
}

/** scheme://host:port the request came to. */
export function baseOf(request: FastifyRequest): string {
  return requestBaseUrl(request);
}

/**
 * The items after the one whose id is `marker` (every item without a marker); 400 MarkerNotFound,
 * worded as nova's `Marker <id> could not be found.`, when no item has that id.
 */
export function afterMarker<T>(list: readonly T[], marker: string | undefined, idOf: (item: T) => string): T[] {
  if (marker === undefined) return [...list];
  const idx = list.findIndex((item) => idOf(item) === marker);
  if (idx < 0) throw new BadRequest(`Marker ${marker} could not be found.`, {}, 'MarkerNotFound');
  return list.slice(idx + 1);
}

/**
 * One page of `list` by the `marker` and `limit` query parameters (limit a whole number ≥ 0, else 400);
 * `full` says the page holds `limit` items (more may follow, so a next link is due).
 */
export function markerPage<T>(list: readonly T[], q: Query, idOf: (item: T) => string): { page: T[]; full: boolean } {
  const limit = queryInt(q, 'limit', 0);
  const rest = afterMarker(list, queryString(q, 'marker'), idOf);
  const page = limit === undefined ? rest : rest.slice(0, limit);
  return { page, full: limit !== undefined && limit > 0 && page.length === limit };
}

/** nova's validation error text. */
export function invalid(field: string, detail: string): BadRequest {
  return new BadRequest(`Invalid input for field/attribute ${field}. Value: ${detail}`, {}, 'ValidationError');
}

/** The body as an object with `key` holding an object; 400 otherwise. */
export function bodyObject(request: FastifyRequest, key: string): Record<string, unknown> {
  const b = request.body as Record<string, unknown> | undefined;
  if (b === undefined || b === null || typeof b !== 'object' || Array.isArray(b)) throw new BadRequest('The request body is missing or is not a JSON object.', {}, 'ValidationError');
  const v = b[key];
  if (v === undefined || v === null || typeof v !== 'object' || Array.isArray(v)) throw invalid(key, `'${key}' is a required property`);
  return v as Record<string, unknown>;
}

/** Reject keys not in `allowed` (nova's additionalProperties: false). */
export function onlyKeys(obj: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) throw new BadRequest(`Additional properties are not allowed ('${k}' was unexpected) in ${where}`, {}, 'ValidationError');
}

/** A string field within length bounds. */
export function str(obj: Record<string, unknown>, key: string, opts: { min?: number; max?: number; required?: boolean; nullable?: boolean; trim?: boolean } = {}): string | null | undefined {
  const v = obj[key];
  if (v === undefined) {
    if (opts.required === true) throw invalid(key, `'${key}' is a required property`);
    return undefined;
  }
  if (v === null) {
    if (opts.nullable === true) return null;
    throw invalid(key, `None is not of type 'string'`);
  }
  if (typeof v !== 'string') throw invalid(key, `${JSON.stringify(v)} is not of type 'string'`);
  if (opts.min !== undefined && v.length < opts.min) throw invalid(key, `'${v}' is too short`);
  if (opts.max !== undefined && v.length > opts.max) throw invalid(key, `'${v.slice(0, 20)}...' is too long`);
  if (opts.trim === true && v !== v.trim()) throw invalid(key, `'${v}' has leading or trailing whitespace`);
  return v;
}

/** A name: 1–255 characters, no leading/trailing whitespace, printable. */
export function nameField(obj: Record<string, unknown>, key: string, required: boolean): string | undefined {
  const v = str(obj, key, { min: 1, max: 255, required, trim: true });
  if (v === null) throw invalid(key, 'None is not of type string');
  if (v !== undefined && /[\x00-\x1f]/.test(v)) throw invalid(key, `'${v}' contains control characters`);
  return v;
}

/** An integer field (JSON number or decimal string) within bounds. */
export function int(obj: Record<string, unknown>, key: string, opts: { min?: number; max?: number; required?: boolean } = {}): number | undefined {
  const v = obj[key];
  if (v === undefined) {
    if (opts.required === true) throw invalid(key, `'${key}' is a required property`);
    return undefined;
  }
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n)) throw invalid(key, `${JSON.stringify(v)} is not of type 'integer'`);
  if (opts.min !== undefined && n < opts.min) throw invalid(key, `${n} is less than the minimum of ${opts.min}`);
  if (opts.max !== undefined && n > opts.max) throw invalid(key, `${n} is greater than the maximum of ${opts.max}`);
  return n;
}

/** A boolean field (JSON boolean or nova's accepted strings). */
export function bool(obj: Record<string, unknown>, key: string): boolean | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const s = v.toLowerCase();
    if (['true', '1', 'yes', 'on', 't', 'y'].includes(s)) return true;
    if (['false', '0', 'no', 'off', 'f', 'n'].includes(s)) return false;
  }
  throw invalid(key, `${JSON.stringify(v)} is not of type 'boolean'`);
}

/** A metadata object: string keys 1–255, string values ≤ 255. */
export function metadataField(v: unknown, key = 'metadata'): Record<string, string> {
  if (v === undefined) return {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalid(key, `${JSON.stringify(v)} is not of type 'object'`);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (k.length < 1 || k.length > 255) throw invalid(key, `metadata key '${k.slice(0, 20)}' length must be 1 to 255`);
    if (typeof val !== 'string') throw invalid(key, `${JSON.stringify(val)} is not of type 'string'`);
    if (val.length > 255) throw invalid(key, `metadata value for '${k}' is too long`);
    out[k] = val;
  }
  return out;
}

/** An IPv6 address in its canonical compressed form (nova stores netaddr's str()): "::babe:dc0c:1602". */
export function canonicalIpv6(addr: string): string {
  let a = addr.toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(a);
  if (v4 !== null) {
    const n = v4.slice(1).map(Number);
    a = `${a.slice(0, v4.index)}${((n[0] ?? 0) * 256 + (n[1] ?? 0)).toString(16)}:${((n[2] ?? 0) * 256 + (n[3] ?? 0)).toString(16)}`;
  }
  const [head, tail] = a.includes('::') ? a.split('::', 2) : [a, undefined];
  const h = (head ?? '') === '' ? [] : (head ?? '').split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const parts = groups.map((g) => parseInt(g, 16).toString(16));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (parts[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && parts[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return parts.join(':');
  return `${parts.slice(0, best).join(':')}::${parts.slice(best + bestLen).join(':')}`;
}

/** True for a canonical UUID. */
export function isUuid(s: string): boolean {
  return /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(s);
}
