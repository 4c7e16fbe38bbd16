/** What every block-storage view needs: cinder's timestamp format, self/bookmark links and next links. */
import type { FastifyRequest } from 'fastify';
import { requestBaseUrl } from '@strata/http';
import type { ApiVersion } from './microversion.js';

/** A stored ISO timestamp as cinder prints it: `YYYY-MM-DDTHH:MM:SS.ffffff`, UTC, no zone (gophercloud parses exactly this). */
export function cinderTime(iso: string): string;
export function cinderTime(iso: string | null): string | null;
export function cinderTime(iso: string | null): string | null {
  if (iso === null) return null;
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?/.exec(iso);
  if (m === null) return iso;
  return `${m[1]}.${(m[2] ?? '').padEnd(6, '0').slice(0, 6)}`;
}

/** Per-request facts the views use. */
export interface ViewContext {
  /** `http://host:port`. */
  readonly origin: string;
  /** The project id when the URL carries one (links keep it), else ''. */
  readonly urlProject: string;
  readonly version: ApiVersion;
  readonly isAdmin: boolean;
  /** The caller holds the `service` role (nova): sees attachment host names. */
  readonly isService: boolean;
  /** The request's query, for next links. */
  readonly query: Readonly<Record<string, string | string[] | undefined>>;
}

/** The view context of a request. */
export function viewContext(request: FastifyRequest, version: ApiVersion, caller: { isAdmin: boolean; roles: readonly string[] }): ViewContext {
  const params = request.params as { project_id?: string };
  return {
    origin: requestBaseUrl(request),
    urlProject: params.project_id ?? '',
    version,
    isAdmin: caller.isAdmin,
    isService: caller.roles.includes('service'),
    query: request.query as Readonly<Record<string, string | string[] | undefined>>,
  };
}

function join(...parts: string[]): string {
  return parts.filter((p) => p !== '').join('/');
}

/** cinder's `links`: self (versioned) and bookmark (unversioned). */
export function resourceLinks(vc: ViewContext, collection: string, id: string): Array<{ rel: string; href: string }> {
  return [
    { rel: 'self', href: join(`${vc.origin}/v3`, vc.urlProject, collection, id) },
    { rel: 'bookmark', href: join(vc.origin, vc.urlProject, collection, id) },
  ];
}

/** The `<collection>_links` next link: present when the page is full (cinder's rule). */
export function nextLinks(vc: ViewContext, collection: string, items: ReadonlyArray<{ id: string }>, limit: number): Array<{ rel: string; href: string }> {
  const last = items[items.length - 1];
  if (last === undefined || items.length < limit) return [];
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(vc.query)) {
    if (v === undefined || k === 'marker') continue;
    for (const one of Array.isArray(v) ? v : [v]) params.append(k, one);
  }
  params.set('marker', last.id);
  return [{ rel: 'next', href: `${join(`${vc.origin}/v3`, vc.urlProject, collection)}?${params.toString()}` }];
}
