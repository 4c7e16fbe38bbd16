/** Formatting shared by the compute views: nova's timestamp styles and links. */

/** nova's `created`/`updated`: ISO 8601 to the second with Z ("2026-01-02T03:04:05Z"). */
export function isoZ(ts: string | null): string | null {
  if (ts === null) return null;
  return `${ts.slice(0, 19)}Z`;
}

/** nova's OS-SRV-USG and action timestamps: microseconds, no zone ("2026-01-02T03:04:05.123000"). */
export function isoMicro(ts: string | null): string | null {
  if (ts === null) return null;
  const base = ts.slice(0, 19);
  const ms = /\.(\d{1,6})/.exec(ts)?.[1] ?? '0';
  return `${base}.${ms.padEnd(6, '0')}`;
}

/** `[{rel:self}, {rel:bookmark}]` links of a resource under the compute API. */
export function resourceLinks(base: string, collection: string, id: string): Array<{ rel: string; href: string }> {
  return [
    { rel: 'self', href: `${base}/v2.1/${collection}/${id}` },
    { rel: 'bookmark', href: `${base}/${collection}/${id}` },
  ];
}
