/** What the network routes share: the caller's context, body unwrapping, attribute checks, list locations. */
import type { FastifyRequest } from 'fastify';
import { contextOf } from '@strata/auth';
import { requestBaseUrl, type Query } from '@strata/http';
import type { Tracer } from '@strata/trace';
import { contextFromRequest, type NeutronContext } from '../neutron-context.js';
import { bad } from '../errors.js';
import { traceFor } from '../server/flow.js';
import type { ListLocation } from './list-query.js';

/** The caller of an authenticated request, with the trace of its global request id. */
export function callerOf(request: FastifyRequest, tracer: Tracer): NeutronContext {
  return contextFromRequest(contextOf(request), request.globalRequestId, traceFor(tracer, request.globalRequestId));
}

/** `{"<key>": {...}}` → the inner object; 400 when missing or not an object. */
export function single(request: FastifyRequest, key: string): Record<string, unknown> {
  const body = request.body as Record<string, unknown> | undefined;
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) throw bad('HTTPBadRequest', 'Resource body required');
  const inner = body[key];
  if (inner === undefined || inner === null || typeof inner !== 'object' || Array.isArray(inner)) throw bad('HTTPBadRequest', `Unable to find '${key}' in request body`);
  return inner as Record<string, unknown>;
}

/** A create body: `{"<key>": {...}}` or the bulk `{"<key>s": [...]}`; returns the items and whether it was bulk. */
export function createItems(request: FastifyRequest, key: string, collection: string): { items: Array<Record<string, unknown>>; bulk: boolean } {
  const body = request.body as Record<string, unknown> | undefined;
  if (body !== undefined && body !== null && typeof body === 'object' && Array.isArray(body[collection])) {
    const list = body[collection] as unknown[];
    if (list.length === 0) throw bad('HTTPBadRequest', 'Resources required');
    for (const i of list) if (typeof i !== 'object' || i === null || Array.isArray(i)) throw bad('HTTPBadRequest', `Unable to find '${key}' in request body`);
    return { items: list as Array<Record<string, unknown>>, bulk: true };
  }
  return { items: [single(request, key)], bulk: false };
}

/** 400 "Unrecognized attribute(s)" for keys outside `allowed`. */
export function checkAttributes(body: Record<string, unknown>, allowed: readonly string[]): void {
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) throw bad('HTTPBadRequest', `Unrecognized attribute(s) '${unknown.join(', ')}'`);
}

/** The owner named in a body (project_id or its alias tenant_id); 400 when they differ. */
export function projectOf(body: Record<string, unknown>): string | undefined {
  const p = body.project_id;
  const t = body.tenant_id;
  if (p !== undefined && t !== undefined && p !== t) throw bad('HTTPBadRequest', "'project_id' and 'tenant_id' do not match");
  const v = p ?? t;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw bad('HTTPBadRequest', `Invalid input for project_id. Reason: '${String(v)}' is not a valid string.`);
  return v;
}

/** The owner a create body names, as input fields: `{ projectId }`, or nothing when it names none; 400 as `projectOf`. */
export function ownerOf(body: Record<string, unknown>): { projectId?: string } {
  const projectId = projectOf(body);
  return projectId !== undefined ? { projectId } : {};
}

/** Where a list request came to, for its pagination links. */
export function locationOf(request: FastifyRequest, collection: string): ListLocation {
  const path = (request.url.split('?')[0] ?? request.url).replace(/\.json$/, '');
  return { collection, url: `${requestBaseUrl(request)}${path}`, query: request.query as Query };
}

/** `fields` of a show request. */
export function fieldsOf(request: FastifyRequest): string[] | undefined {
  const q = request.query as Query;
  const v = q.fields;
  if (v === undefined) return undefined;
  const list = (Array.isArray(v) ? v : [v]).flatMap((f) => f.split(',')).filter((f) => f !== '');
  return list.length === 0 ? undefined : list;
}

/** The string values of a query filter, for SQL push-down. */
export function filterValues(request: FastifyRequest, key: string): string[] | undefined {
  const v = (request.query as Query)[key];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v : [v];
}

/** Common fields of every create body. */
export const OWNER_ATTRS = ['project_id', 'tenant_id'] as const;
