/** Neutron's list semantics on views: attribute filters, tag filters, `fields`, sorting, and limit/marker pagination with `<collection>_links`. */
import { BadRequest } from '@strata/errors';
import type { Query } from '@strata/http';

/** A JSON view of one resource. */
export type View = Record<string, unknown>;

/** A parsed list query. */
export interface ListQuery {
  /** Attribute filters: each key's values are OR'ed, keys are AND'ed. */
  readonly filters: ReadonlyMap<string, readonly string[]>;
  readonly fields: readonly string[] | undefined;
  readonly sorts: ReadonlyArray<{ readonly key: string; readonly dir: 'asc' | 'desc' }>;
  readonly limit: number | undefined;
  readonly marker: string | undefined;
  readonly pageReverse: boolean;
}

const RESERVED = new Set(['fields', 'sort_key', 'sort_dir', 'limit', 'marker', 'page_reverse', 'verbose']);
const TAG_FILTERS = new Set(['tags', 'tags-any', 'not-tags', 'not-tags-any']);

function values(q: Query, key: string): string[] {
  const v = q[key];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** Parse a list request's query string; 400 for a bad limit or sort direction. */
export function parseListQuery(q: Query): ListQuery {
  const filters = new Map<string, string[]>();
  for (const key of Object.keys(q)) if (!RESERVED.has(key)) filters.set(key, values(q, key));
  const fieldList = values(q, 'fields').flatMap((f) => f.split(',')).filter((f) => f !== '');
  const keys = values(q, 'sort_key');
  const dirs = values(q, 'sort_dir');
  if (dirs.length > keys.length) throw new BadRequest('The number of sort_keys and sort_dirs must be same', {}, 'HTTPBadRequest');
  const sorts = keys.map((key, i) => {
    const dir = (dirs[i] ?? 'asc').toLowerCase();
    if (dir !== 'asc' && dir !== 'desc') throw new BadRequest(`${dirs[i]} is an invalid value for sort_dir, valid value is 'asc' and 'desc'`, {}, 'HTTPBadRequest');
    return { key, dir: dir as 'asc' | 'desc' };
  });
  const limitText = values(q, 'limit').at(-1);
  let limit: number | undefined;
  if (limitText !== undefined) {
    if (!/^-?\d+$/.test(limitText)) throw new BadRequest(`Limit must be an integer 0 or greater and not '${limitText}'`, {}, 'HTTPBadRequest');
    limit = Number(limitText);
    if (limit < 0) throw new BadRequest(`Limit must be an integer 0 or greater and not '${limitText}'`, {}, 'HTTPBadRequest');
    if (limit === 0) limit = undefined;
  }
  const reverse = values(q, 'page_reverse').at(-1);
  return {
    filters,
    fields: fieldList.length === 0 ? undefined : fieldList,
    sorts,
    limit,
    marker: values(q, 'marker').at(-1),
    pageReverse: reverse !== undefined && ['true', '1', 'yes'].includes(reverse.toLowerCase()),
  };
}

/** The values of one filter (for SQL push-down), or undefined when not filtered. */
export function filterOf(lq: ListQuery, key: string): readonly string[] | undefined {
  return lq.filters.get(key);
}

/** A neutron boolean filter value: true/1, false/0, anything else undefined. */
export function asBool(s: string): boolean | undefined {
  const v = s.toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  return undefined;
}

function matchValue(v: unknown, wanted: readonly string[]): boolean {
  if (Array.isArray(v)) return wanted.some((s) => v.some((x) => String(x) === s));
  if (typeof v === 'boolean') return wanted.some((s) => asBool(s) === v);
  if (typeof v === 'number') return wanted.some((s) => s !== '' && Number(s) === v);
  if (v === null) return wanted.some((s) => s === '' || s === 'None' || s === 'null');
  if (typeof v === 'string') return wanted.includes(v);
  return true;
}

function splitTags(vals: readonly string[]): string[] {
  return vals.flatMap((v) => v.split(',')).filter((t) => t !== '');
}

function matchTags(view: View, key: string, vals: readonly string[]): boolean {
  const have = Array.isArray(view.tags) ? (view.tags as string[]) : [];
  const want = splitTags(vals);
  switch (key) {
    case 'tags':
      return want.every((t) => have.includes(t));
    case 'tags-any':
      return want.some((t) => have.includes(t));
    case 'not-tags':
      return !want.every((t) => have.includes(t));
    default:
      return !want.some((t) => have.includes(t));
  }
}

/** Neutron's `fixed_ips=ip_address=…`, `subnet_id=…` and `ip_address_substr=…` port filter: one allocation must match every key. */
function matchFixedIps(view: View, vals: readonly string[]): boolean {
  const wanted = new Map<string, string[]>();
  for (const v of vals) {
    const i = v.indexOf('=');
    if (i < 0) continue;
    const k = v.slice(0, i);
    (wanted.get(k) ?? wanted.set(k, []).get(k)!).push(v.slice(i + 1));
  }
  const ips = Array.isArray(view.fixed_ips) ? (view.fixed_ips as Array<{ ip_address: string; subnet_id: string }>) : [];
  return ips.some((ip) =>
    [...wanted].every(([k, vs]) => {
      if (k === 'ip_address') return vs.includes(ip.ip_address);
      if (k === 'subnet_id') return vs.includes(ip.subnet_id);
      if (k === 'ip_address_substr') return vs.some((s) => ip.ip_address.includes(s));
      return true;
    }),
  );
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const sa = typeof a === 'string' ? a : JSON.stringify(a);
  const sb = typeof b === 'string' ? b : JSON.stringify(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** Where a list lives, to build pagination links. */
export interface ListLocation {
  /** The collection key, e.g. `networks` (links go in `networks_links`). */
  readonly collection: string;
  /** Base URL and path of the request, without its query string. */
  readonly url: string;
  /** The raw query of the request. */
  readonly query: Query;
}

function linkHref(loc: ListLocation, marker: string, reverse: boolean): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(loc.query)) {
    if (k === 'marker' || k === 'page_reverse' || v === undefined) continue;
    for (const x of Array.isArray(v) ? v : [v]) params.append(k, x);
  }
  params.set('marker', marker);
  if (reverse) params.set('page_reverse', 'True');
  return `${loc.url}?${params.toString()}`;
}

/**
 * Apply filters (unknown attributes are ignored, as neutron does without filter-validation),
 * sorting (the id breaks ties), pagination and `fields` to views; returns the response body.
 */
export function listResponse(views: readonly View[], lq: ListQuery, loc: ListLocation): Record<string, unknown> {
  const known = new Set<string>();
  for (const v of views) for (const k of Object.keys(v)) known.add(k);
  let items = views.filter((v) => {
    for (const [key, vals] of lq.filters) {
      if (TAG_FILTERS.has(key)) {
        if (!matchTags(v, key, vals)) return false;
      } else if (key === 'fixed_ips') {
        if (!matchFixedIps(v, vals)) return false;
      } else if (known.has(key) && !matchValue(v[key], vals)) return false;
    }
    return true;
  });
  for (const s of lq.sorts) if (items.length > 0 && !known.has(s.key)) throw new BadRequest(`${s.key} is an invalid attribute for sort_key`, {}, 'HTTPBadRequest');
  const sorts = lq.sorts.length > 0 || lq.limit !== undefined || lq.marker !== undefined ? [...lq.sorts, { key: 'id', dir: 'asc' as const }] : [];
  if (sorts.length > 0) {
    items = [...items].sort((a, b) => {
      for (const s of sorts) {
        const c = compare(a[s.key], b[s.key]);
        if (c !== 0) return s.dir === 'asc' ? c : -c;
      }
      return 0;
    });
  }
  const links: Array<{ rel: string; href: string }> = [];
  if (lq.marker !== undefined || lq.limit !== undefined) {
    const at = lq.marker === undefined ? -1 : items.findIndex((v) => v.id === lq.marker);
    let page: View[];
    let more: boolean;
    if (lq.pageReverse && lq.marker !== undefined) {
      const before = at < 0 ? items : items.slice(0, at);
      page = lq.limit === undefined ? before : before.slice(Math.max(0, before.length - lq.limit));
      more = page.length < before.length;
      if (more && page[0] !== undefined) links.push({ rel: 'previous', href: linkHref(loc, String(page[0].id), true) });
      const last = page.at(-1);
      if (last !== undefined) links.push({ rel: 'next', href: linkHref(loc, String(last.id), false) });
    } else {
      const after = at < 0 ? items : items.slice(at + 1);
      page = lq.limit === undefined ? after : after.slice(0, lq.limit);
      more = page.length < after.length;
      const last = page.at(-1);
      if (more && last !== undefined) links.push({ rel: 'next', href: linkHref(loc, String(last.id), false) });
      if (lq.marker !== undefined && page[0] !== undefined) links.push({ rel: 'previous', href: linkHref(loc, String(page[0].id), true) });
    }
    items = page;
  }
  const out: Record<string, unknown> = { [loc.collection]: lq.fields === undefined ? items : items.map((v) => project(v, lq.fields!)) };
  if (links.length > 0) out[`${loc.collection}_links`] = links;
  return out;
}

/** Keep only `fields` of a view (neutron's fields= on list and show). */
export function project(v: View, fields: readonly string[] | undefined): View {
  if (fields === undefined) return v;
  const out: View = {};
  for (const f of fields) if (f in v) out[f] = v[f];
  return out;
}
