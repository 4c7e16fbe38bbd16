/** Helpers every block-storage route uses: the caller (with cinder's URL project check), the microversion, list parameters. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { contextOf, type RequestContext } from '@strata/auth';
import { BadRequest, NotFound } from '@strata/errors';
import { queryString, type Query } from '@strata/http';
import type { SortKey } from '../objects/common.js';
import { BASE_VERSION, type ApiVersion } from './microversion.js';
import { viewContext, type ViewContext } from './view-helpers.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The negotiated Block Storage microversion (set by the block-storage app). */
    volumeApiVersion: ApiVersion | null;
  }
}

/** Most items one list page holds (cinder's osapi_max_limit). */
export const MAX_LIMIT = 1000;

/** The caller; 400 "Malformed request url" when the URL names another project (cinder's check). */
export function caller(request: FastifyRequest): RequestContext {
  const ctx = contextOf(request);
  const project = (request.params as { project_id?: string }).project_id;
  if (project !== undefined && project !== ctx.projectId) throw new BadRequest('Malformed request url', { project }, 'MalformedRequestUrl');
  return ctx;
}

/** The request's microversion. */
export function versionOf(request: FastifyRequest): ApiVersion {
  return request.volumeApiVersion ?? BASE_VERSION;
}

/** 404 unless the request's microversion is at least `min` (cinder's VersionNotFoundForAPIMethod). */
export function requireVersion(request: FastifyRequest, min: string): void {
  if (!versionOf(request).atLeast(min)) throw new NotFound('The resource could not be found.', {}, 'VersionNotFoundForAPIMethod');
}

/** The view context of a request for this caller. */
export function viewOf(request: FastifyRequest, ctx: RequestContext): ViewContext {
  return viewContext(request, versionOf(request), { isAdmin: ctx.isAdmin, roles: ctx.roles });
}

/** The body's object under `key`; 400 when it is missing or not an object. */
export function member(request: FastifyRequest, key: string): Record<string, unknown> {
  const body = request.body as Record<string, unknown> | undefined;
  const value = body?.[key];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BadRequest(`Missing required element '${key}' in request body.`, { key }, 'MissingRequiredElement');
  return value as Record<string, unknown>;
}

/** limit, marker, offset and sort of a list request, as cinder's get_pagination_params and get_sort_params read them. */
export function listParams(q: Query, sortKeys: ReadonlySet<string>): { limit: number; marker: string | undefined; offset: number; sort: SortKey[] } {
  const limitText = queryString(q, 'limit');
  let limit = MAX_LIMIT;
  if (limitText !== undefined) {
    if (!/^-?\d+$/.test(limitText.trim())) throw new BadRequest('limit param must be an integer', {}, 'InvalidInput');
    const n = Number(limitText);
    if (n < 0) throw new BadRequest('limit param must be positive', {}, 'InvalidInput');
    limit = Math.min(n, MAX_LIMIT);
  }
  const offsetText = queryString(q, 'offset');
  let offset = 0;
  if (offsetText !== undefined) {
    if (!/^\d+$/.test(offsetText.trim())) throw new BadRequest(`offset must be an integer from 0 to ${0x7fffffff}.`, {}, 'InvalidInput');
    offset = Number(offsetText);
  }
  const sortText = queryString(q, 'sort');
  const keyText = queryString(q, 'sort_key');
  const dirText = queryString(q, 'sort_dir');
  if (sortText !== undefined && (keyText !== undefined || dirText !== undefined)) {
    throw new BadRequest("The 'sort_key' and 'sort_dir' parameters are deprecated and cannot be used with the 'sort' parameter.", {}, 'InvalidInput');
  }
  const pairs: Array<[string, string]> =
    sortText !== undefined
      ? sortText.split(',').map((part) => {
          const [k = '', d = 'desc'] = part.split(':');
          return [k.trim(), d.trim() || 'desc'];
        })
      : [[(keyText ?? 'created_at').trim(), (dirText ?? 'desc').trim()]];
  const sort = pairs.map(([key, dir]) => {
    if (!sortKeys.has(key)) throw new BadRequest(`Invalid input received: Invalid sort key ${key}`, { key }, 'InvalidSortKey');
    if (dir !== 'asc' && dir !== 'desc') throw new BadRequest(`Invalid input received: Invalid sort direction ${dir}`, { dir }, 'InvalidInput');
    return { key, dir: dir as 'asc' | 'desc' };
  });
  return { limit, marker: queryString(q, 'marker'), offset, sort };
}

/** Parse a cinder metadata filter: a JSON object, or the Python-dict text clients send (`{'k': 'v'}`). */
export function metadataFilter(text: string | undefined): Record<string, string> | undefined {
  if (text === undefined) return undefined;
  const attempts = [text, text.replace(/'/g, '"').replace(/\bu"/g, '"')];
  for (const t of attempts) {
    try {
      const v = JSON.parse(t) as unknown;
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, val]) => [k, String(val)]));
    } catch {
      // try the next spelling
    }
  }
  throw new BadRequest(`Invalid input received: metadata filter must be a dictionary, got ${text}.`, {}, 'InvalidInput');
}

/** Reply 202 with no body. */
export function accepted(reply: FastifyReply): FastifyReply {
  return reply.code(202).send();
}
