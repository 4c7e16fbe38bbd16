/** Helpers the block-storage objects share: the DB handle type, ids, key/value metadata tables and sorting. */
import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { NotFound } from '@strata/errors';
import type { BlockStorageDatabase } from '../db/schema.js';

/** The block-storage DB handle (or a transaction on it). */
export type BlockStorageDb = Kysely<BlockStorageDatabase> | Transaction<BlockStorageDatabase>;

/** A new id (cinder ids are dashed UUIDs). */
export function newId(): string {
  return randomUUID();
}

/** Key/value metadata of a volume or snapshot. */
export type Metadata = Readonly<Record<string, string>>;

/** The two metadata tables. */
export type MetadataTableName = 'volume_metadata' | 'snapshot_metadata';

/** Metadata of many resources at once, by resource id (ids without metadata map to {}). */
export async function readMetadata(db: BlockStorageDb, table: MetadataTableName, ids: readonly string[]): Promise<Map<string, Record<string, string>>> {
  const out = new Map<string, Record<string, string>>();
  for (const id of ids) out.set(id, {});
  if (ids.length === 0) return out;
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db.selectFrom(table).selectAll().where('resource_id', 'in', ids.slice(i, i + 500)).execute();
    for (const r of rows) {
      const m = out.get(r.resource_id);
      if (m !== undefined) m[r.key] = r.value;
    }
  }
  return out;
}

/** Replace (or, with `merge`, update) a resource's metadata; returns what it holds afterwards. */
export async function writeMetadata(db: BlockStorageDb, table: MetadataTableName, id: string, metadata: Metadata, merge: boolean): Promise<Record<string, string>> {
  const write = async (trx: BlockStorageDb): Promise<void> => {
    if (!merge) await trx.deleteFrom(table).where('resource_id', '=', id).execute();
    else if (Object.keys(metadata).length > 0) await trx.deleteFrom(table).where('resource_id', '=', id).where('key', 'in', Object.keys(metadata)).execute();
    const rows = Object.entries(metadata).map(([key, value]) => ({ resource_id: id, key, value }));
    if (rows.length > 0) await trx.insertInto(table).values(rows).execute();
  };
  if ('isTransaction' in db && db.isTransaction) await write(db);
  else await (db as Kysely<BlockStorageDatabase>).transaction().execute(write);
  return (await readMetadata(db, table, [id])).get(id) ?? {};
}

/** Remove one key; false when it was not there. */
export async function deleteMetadataKey(db: BlockStorageDb, table: MetadataTableName, id: string, key: string): Promise<boolean> {
  const r = await db.deleteFrom(table).where('resource_id', '=', id).where('key', '=', key).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Remove every key of a resource. */
export async function deleteAllMetadata(db: BlockStorageDb, table: MetadataTableName, id: string): Promise<void> {
  await db.deleteFrom(table).where('resource_id', '=', id).execute();
}

/** One sort key and direction (`?sort=name:asc,created_at`). */
export interface SortKey {
  readonly key: string;
  readonly dir: 'asc' | 'desc';
}

/** Sort in memory by `keys`, then by id (desc) as cinder's paginate_query does; nulls sort first ascending. */
export function sortBy<T extends { readonly id: string }>(items: readonly T[], keys: readonly SortKey[], value: (item: T, key: string) => string | number | boolean | null): T[] {
  const all = [...keys, ...(keys.some((k) => k.key === 'id') ? [] : [{ key: 'id', dir: 'desc' as const }])];
  return [...items].sort((a, b) => {
    for (const { key, dir } of all) {
      const va = value(a, key);
      const vb = value(b, key);
      if (va === vb) continue;
      let c: number;
      if (va === null) c = -1;
      else if (vb === null) c = 1;
      else if (typeof va === 'number' && typeof vb === 'number') c = va - vb;
      else c = String(va) < String(vb) ? -1 : 1;
      return dir === 'asc' ? c : -c;
    }
    return 0;
  });
}

/** The page after `marker` (an id in `sorted`) of at most `limit` items; 404 for a marker that is not there (cinder's MarkerNotFound). */
export function page<T extends { readonly id: string }>(sorted: readonly T[], opts: { marker?: string | undefined; limit?: number | undefined; offset?: number | undefined }): { items: T[]; more: boolean } {
  let start = 0;
  if (opts.marker !== undefined) {
    const i = sorted.findIndex((x) => x.id === opts.marker);
    if (i < 0) throw new NotFound(`Marker ${opts.marker} could not be found.`, { marker: opts.marker }, 'MarkerNotFound');
    start = i + 1;
  }
  start += opts.offset ?? 0;
  const end = opts.limit === undefined ? sorted.length : start + opts.limit;
  return { items: sorted.slice(start, end), more: end < sorted.length };
}
