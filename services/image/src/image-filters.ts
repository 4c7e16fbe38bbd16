/** GET /v2/images query parameters → a typed list query: glance's filters, operators, sorting and paging rules. */
import { BadRequest } from '@strata/errors';
import { MEMBER_STATUSES, VISIBILITIES, type MemberStatus, type Visibility } from './image-schema.js';

/** Keys glance sorts by (glance.api.v2.images SUPPORTED_SORT_KEYS, plus virtual_size). */
export const SORT_KEYS = ['name', 'status', 'container_format', 'disk_format', 'size', 'virtual_size', 'id', 'created_at', 'updated_at'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export type SortDir = 'asc' | 'desc';

/** Core columns a list can filter on. */
export const FILTER_FIELDS = ['name', 'status', 'id', 'owner', 'disk_format', 'container_format', 'checksum', 'os_hash_value', 'created_at', 'updated_at', 'protected', 'size', 'virtual_size', 'min_disk', 'min_ram'] as const;
export type FilterField = (typeof FILTER_FIELDS)[number];
export type FilterOp = 'eq' | 'neq' | 'in' | 'gt' | 'gte' | 'lt' | 'lte';

/** One column condition (`status=in:active,queued`, `created_at=gte:2024-01-01T00:00:00Z`). */
export interface FilterCondition {
  readonly field: FilterField;
  readonly op: FilterOp;
  /** Strings, or numbers for the numeric fields. */
  readonly values: ReadonlyArray<string | number>;
}

/** A parsed list request. */
export interface ImageListQuery {
  readonly limit: number;
  readonly marker: string | undefined;
  readonly sort: ReadonlyArray<{ readonly key: SortKey; readonly dir: SortDir }>;
  /** undefined: glance's default scope (own, public, and shared images accepted by the caller). */
  readonly visibility: Visibility | 'all' | undefined;
  readonly memberStatus: MemberStatus | 'all';
  /** true lists only hidden images; false (the default) hides them. */
  readonly osHidden: boolean;
  readonly conditions: readonly FilterCondition[];
  readonly sizeMin: number | undefined;
  readonly sizeMax: number | undefined;
  /** Every tag must be present. */
  readonly tags: readonly string[];
  /** Custom properties that must have exactly these values. */
  readonly properties: ReadonlyArray<{ readonly name: string; readonly value: string }>;
}

/** The default and largest page sizes (glance's limit_param_default and api_limit_max). */
export const DEFAULT_LIMIT = 25;
export const MAX_LIMIT = 1000;

const NOT_PROPERTIES = new Set(['limit', 'marker', 'sort_key', 'sort_dir', 'sort', 'visibility', 'member_status', 'os_hidden', 'tag', 'size_min', 'size_max', ...FILTER_FIELDS]);
const TIME_FIELDS = new Set<FilterField>(['created_at', 'updated_at']);
const NUMBER_FIELDS = new Set<FilterField>(['size', 'virtual_size', 'min_disk', 'min_ram']);
const OPS = new Set<FilterOp>(['eq', 'neq', 'in', 'gt', 'gte', 'lt', 'lte']);

type Raw = Readonly<Record<string, string | string[] | undefined>>;

function all(q: Raw, name: string): string[] {
  const v = q[name];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

function last(q: Raw, name: string): string | undefined {
  const v = all(q, name);
  return v[v.length - 1];
}

function intParam(q: Raw, name: string): number | undefined {
  const v = last(q, name);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v.trim())) throw new BadRequest(`${name} param must be an integer`, { [name]: v }, 'InvalidParameter');
  return Number(v);
}

function sortDir(v: string): SortDir {
  if (v !== 'asc' && v !== 'desc') throw new BadRequest(`Invalid sort direction: ${v}`, { sort_dir: v }, 'InvalidSortDir');
  return v;
}

function sortKey(v: string): SortKey {
  if (!(SORT_KEYS as readonly string[]).includes(v)) throw new BadRequest(`Invalid sort key: ${v}. It must be one of the following: ${SORT_KEYS.join(', ')}.`, { sort_key: v }, 'InvalidSortKey');
  return v as SortKey;
}

/** Split `in:a,b,"c,d"` style values; quotes keep commas. */
function splitList(v: string): string[] {
  const out: string[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|([^,]*))\s*(?:,|$)/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < v.length && (m = re.exec(v)) !== null) {
    out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? '').trim());
    if (m[0] === '') break;
  }
  return out;
}

function parseTime(v: string, field: string): string {
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw new BadRequest(`Unable to filter on a range with a non-numeric value: ${field}=${v}`, { [field]: v }, 'InvalidFilterRangeValue');
  return new Date(ms).toISOString();
}

function condition(field: FilterField, raw: string): FilterCondition {
  const m = /^([a-z]+):(.*)$/s.exec(raw);
  let op: FilterOp = 'eq';
  let rest = raw;
  if (m !== null && OPS.has(m[1] as FilterOp)) {
    op = m[1] as FilterOp;
    rest = m[2] ?? '';
  }
  if (NUMBER_FIELDS.has(field)) {
    const values = (op === 'in' ? splitList(rest) : [rest]).map((v) => {
      if (!/^\d+$/.test(v.trim())) throw new BadRequest(`Unable to filter on a range with a non-numeric value: ${field}=${v}`, { [field]: v }, 'InvalidFilterRangeValue');
      return Number(v);
    });
    return { field, op, values };
  }
  if (op === 'in') return { field, op, values: splitList(rest) };
  if (TIME_FIELDS.has(field)) return { field, op, values: [parseTime(rest, field)] };
  if (op !== 'eq' && op !== 'neq') throw new BadRequest(`Unable to filter by ${field} with operator ${op}.`, { field }, 'InvalidFilterOperator');
  if (field === 'protected' && rest !== 'true' && rest !== 'false') throw new BadRequest(`Invalid value for protected: ${rest}. Must be 'true' or 'false'.`, { protected: rest }, 'InvalidParameter');
  return { field, op, values: [rest] };
}

/** Parse GET /v2/images query parameters; 400 (in glance's words) for a bad value. */
export function parseListQuery(q: Raw): ImageListQuery {
  let limit = intParam(q, 'limit') ?? DEFAULT_LIMIT;
  if (limit < 0) throw new BadRequest('limit param must be positive', { limit }, 'InvalidParameter');
  limit = Math.min(limit, MAX_LIMIT);

  const sortParam = last(q, 'sort');
  const keys = all(q, 'sort_key');
  const dirs = all(q, 'sort_dir');
  let sort: Array<{ key: SortKey; dir: SortDir }>;
  if (sortParam !== undefined) {
    if (keys.length > 0 || dirs.length > 0) throw new BadRequest('The "sort" parameter cannot be used with "sort_key" or "sort_dir".', {}, 'InvalidSortParams');
    sort = sortParam.split(',').filter((s) => s.trim() !== '').map((part) => {
      const [k = '', d] = part.trim().split(':');
      return { key: sortKey(k.trim()), dir: d === undefined ? 'desc' : sortDir(d.trim()) };
    });
  } else {
    if (dirs.length > 1 && dirs.length !== keys.length) throw new BadRequest('Number of sort dirs does not match the number of sort keys', {}, 'InvalidSortParams');
    const dirList = dirs.map(sortDir);
    sort = keys.map((k, i) => ({ key: sortKey(k), dir: dirList[i] ?? dirList[0] ?? 'desc' }));
    if (sort.length === 0) sort = [{ key: 'created_at', dir: dirList[0] ?? 'desc' }];
  }
  // Ties are broken as glance does: created_at, then id, in the first key's direction.
  const tieDir = sort[0]?.dir ?? 'desc';
  for (const key of ['created_at', 'id'] as const) if (!sort.some((s) => s.key === key)) sort.push({ key, dir: tieDir });

  const visibilityRaw = last(q, 'visibility');
  if (visibilityRaw !== undefined && visibilityRaw !== 'all' && !(VISIBILITIES as readonly string[]).includes(visibilityRaw)) {
    throw new BadRequest(`Invalid visibility value: ${visibilityRaw}`, { visibility: visibilityRaw }, 'InvalidParameter');
  }
  const memberRaw = last(q, 'member_status') ?? 'accepted';
  if (memberRaw !== 'all' && !(MEMBER_STATUSES as readonly string[]).includes(memberRaw)) {
    throw new BadRequest(`Invalid status value: ${memberRaw}`, { member_status: memberRaw }, 'InvalidParameter');
  }
  const hiddenRaw = last(q, 'os_hidden');
  let osHidden = false;
  if (hiddenRaw !== undefined) {
    const h = hiddenRaw.toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(h)) osHidden = true;
    else if (!['false', '0', 'no', 'off'].includes(h)) throw new BadRequest(`Invalid value '${hiddenRaw}' for 'os_hidden' filter. Valid values are 'true' or 'false'.`, {}, 'InvalidParameter');
  }

  const conditions: FilterCondition[] = [];
  for (const field of FILTER_FIELDS) for (const v of all(q, field)) conditions.push(condition(field, v));

  const sizeMin = intParam(q, 'size_min');
  const sizeMax = intParam(q, 'size_max');
  const properties: Array<{ name: string; value: string }> = [];
  for (const [name, v] of Object.entries(q)) {
    if (NOT_PROPERTIES.has(name) || v === undefined) continue;
    for (const value of Array.isArray(v) ? v : [v]) properties.push({ name, value });
  }
  return {
    limit,
    marker: last(q, 'marker'),
    sort,
    visibility: visibilityRaw as Visibility | 'all' | undefined,
    memberStatus: memberRaw as MemberStatus | 'all',
    osHidden,
    conditions,
    sizeMin,
    sizeMax,
    tags: all(q, 'tag'),
    properties,
  };
}
