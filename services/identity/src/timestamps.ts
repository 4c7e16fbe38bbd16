/** Timestamps clients send to keystone (expires_at): strict ISO 8601 in, microsecond UTC strings out. */
import { BadRequest } from '@strata/errors';

const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Parse a client timestamp as keystone does (a missing zone means UTC) and return it as
 * `YYYY-MM-DDTHH:MM:SS.ffffffZ`, keeping microseconds. Throws a 400 naming `field` when the
 * text is not such a timestamp.
 */
export function parseTimestamp(text: string, field: string): string {
  const m = ISO.exec(text.trim());
  const invalid = (): BadRequest => new BadRequest(`Timestamp not in expected format. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error. (${field}: '${text}')`, { field }, 'ValidationTimeStampError');
  if (m === null) throw invalid();
  const [, y, mo, d, h, mi, s, frac = '', zone = 'Z'] = m;
  const micros = frac.padEnd(6, '0').slice(0, 6);
  const base = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const check = new Date(base);
  if (Number.isNaN(base) || check.getUTCFullYear() !== Number(y) || check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) throw invalid();
  let offsetMin = 0;
  if (zone !== 'Z') {
    const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
    if (z === null) throw invalid();
    offsetMin = (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3]));
  }
  const utc = new Date(base - offsetMin * 60_000).toISOString().slice(0, 19);
  return `${utc}.${micros}Z`;
}

/** Milliseconds since the epoch of a stored timestamp (milli- or microsecond precision). */
export function timestampMs(ts: string): number {
  return Date.parse(ts.replace(/(\.\d{3})\d+Z$/, '$1Z'));
}

/** A stored timestamp with exactly six fractional digits and a Z (`2015-02-17T17:34:01.000000Z`). */
export function microsUtc(ts: string): string {
  const m = /^(.{19})(?:\.(\d+))?Z$/.exec(ts);
  if (m === null) return ts;
  return `${m[1]}.${(m[2] ?? '').padEnd(6, '0').slice(0, 6)}Z`;
}
