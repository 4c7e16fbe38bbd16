/** Reading query strings as OpenStack APIs do: booleans like keystone and neutron, integers with bounds. */
import { BadRequest } from '@strata/errors';

/** The parsed query object Fastify gives a handler. */
export type Query = Readonly<Record<string, string | string[] | undefined>>;

/** One string value of a query parameter (the last when repeated). */
export function queryString(q: Query, name: string): string | undefined {
  const v = q[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

/**
 * A boolean query parameter: absent → undefined; present with no value, `true`, `1`, `yes` → true;
 * `false`, `0`, `no` → false; anything else is a 400.
 */
export function queryBool(q: Query, name: string): boolean | undefined {
  const v = queryString(q, name);
  if (v === undefined) return undefined;
  const s = v.toLowerCase();
  if (s === '' || s === 'true' || s === '1' || s === 'yes' || s === 'on') return true;
  if (s === 'false' || s === '0' || s === 'no' || s === 'off') return false;
  throw new BadRequest(`Invalid value '${v}' for query parameter ${name}: expected a boolean.`);
}

/** True when the parameter is present at all (keystone's `?nocatalog`, `?effective`). */
export function queryFlag(q: Query, name: string): boolean {
  return name in q && queryBool(q, name) !== false;
}

/** An integer query parameter within [min, max]; 400 otherwise. */
export function queryInt(q: Query, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = queryString(q, name);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) throw new BadRequest(`Invalid value '${v}' for query parameter ${name}: expected an integer.`);
  const n = Number(v);
  if (n < min || n > max) throw new BadRequest(`Invalid value '${v}' for query parameter ${name}: expected an integer from ${min} to ${max}.`);
  return n;
}
