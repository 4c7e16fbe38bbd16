/** Neutron's attribute converters and validators (neutron-lib api/converters and validators) for request bodies. */
import { badAttribute } from './errors.js';

/** Booleans as neutron's convert_to_boolean takes them: true/false, "true"/"false" (any case), 1/0. */
export function toBoolean(attr: string, v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 0 || v === 1) return v === 1;
  if (typeof v === 'string') {
    const s = v.toLowerCase();
    if (s === 'true' || s === '1') return true;
    if (s === 'false' || s === '0') return false;
  }
  throw badAttribute(attr, `'${String(v)}' cannot be converted to boolean`);
}

/** An optional boolean: undefined stays undefined. */
export function optBoolean(attr: string, v: unknown): boolean | undefined {
  return v === undefined ? undefined : toBoolean(attr, v);
}

/** A string of at most `max` characters (neutron's type:string). */
export function toStringAttr(attr: string, v: unknown, max = 255): string {
  if (typeof v !== 'string') throw badAttribute(attr, `'${JSON.stringify(v)}' is not a valid string`);
  if (v.length > max) throw badAttribute(attr, `'${v}' exceeds maximum length of ${max}`);
  return v;
}

/** An optional string; null becomes ''. */
export function optString(attr: string, v: unknown, max = 255): string | undefined {
  if (v === undefined) return undefined;
  if (v === null) return '';
  return toStringAttr(attr, v, max);
}

/** The name (255 characters) and description (1024) a body sets, checked in that order; absent ones are left out, null becomes ''. */
export function nameAndDescription(body: { readonly name?: unknown; readonly description?: unknown }): { name?: string; description?: string } {
  const name = optString('name', body.name);
  const description = optString('description', body.description, 1024);
  return { ...(name !== undefined ? { name } : {}), ...(description !== undefined ? { description } : {}) };
}

/** An integer, from a number or a numeric string. */
export function toInt(attr: string, v: unknown): number {
  const n = typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw badAttribute(attr, `'${String(v)}' is not an integer`);
  return n;
}

/** A list (neutron's type:list), or a 400. */
export function toList(attr: string, v: unknown): unknown[] {
  if (!Array.isArray(v)) throw badAttribute(attr, `'${JSON.stringify(v)}' is not a list`);
  return v;
}

/** A dict, or a 400. */
export function toDict(attr: string, v: unknown): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw badAttribute(attr, `'${JSON.stringify(v)}' is not a dictionary`);
  return v as Record<string, unknown>;
}

/** A UUID-like id string (neutron's type:uuid is checked when looked up; here only its type). */
export function toId(attr: string, v: unknown): string {
  if (typeof v !== 'string' || v === '') throw badAttribute(attr, `'${String(v)}' is not a valid UUID`);
  return v;
}

/** Tags on create: a list of strings of at most 255 characters, no commas. */
export function toTags(v: unknown): string[] {
  const list = toList('tags', v);
  for (const t of list) if (typeof t !== 'string' || t === '' || t.length > 255 || t.includes(',')) throw badAttribute('tags', `'${String(t)}' is not a valid tag`);
  return [...new Set(list as string[])];
}
