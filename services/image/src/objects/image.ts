/**
 * Images, their custom properties and tags: the rows behind glance's ImageRepo.
 * Status changes are compare-and-swap updates (`WHERE status IN (...)`), so concurrent uploads,
 * deletes and imports cannot overwrite each other.
 */
import { sql, type ExpressionBuilder, type Expression, type SqlBool } from 'kysely';
import { nowIso, toBool } from '@strata/db';
import type { ImageDatabase, ImageTable } from '../db/schema.js';
import type { ImageStatus, MemberStatus, Visibility } from '../image-schema.js';
import type { FilterCondition } from '../image-filters.js';
import { numberOrNull, type ImageDb } from './common.js';

/** An image as the service sees it. */
export interface Image {
  readonly id: string;
  readonly name: string | null;
  readonly status: ImageStatus;
  readonly visibility: Visibility;
  readonly protected: boolean;
  readonly osHidden: boolean;
  readonly size: number | null;
  readonly virtualSize: number | null;
  readonly checksum: string | null;
  readonly osHashAlgo: string | null;
  readonly osHashValue: string | null;
  readonly diskFormat: string | null;
  readonly containerFormat: string | null;
  readonly minDisk: number;
  readonly minRam: number;
  readonly owner: string | null;
  /** Store location of the data, or null. Never shown to clients. */
  readonly location: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly properties: Readonly<Record<string, string>>;
  readonly tags: readonly string[];
}

/** Fields an image is created with. */
export type NewImage = Omit<Image, 'status' | 'size' | 'virtualSize' | 'checksum' | 'osHashAlgo' | 'osHashValue' | 'location' | 'createdAt' | 'updatedAt'>;

/** Writable attributes a save() may change. */
export type ImageChanges = Partial<Pick<Image, 'name' | 'visibility' | 'protected' | 'osHidden' | 'diskFormat' | 'containerFormat' | 'minDisk' | 'minRam' | 'owner' | 'properties' | 'tags'>>;

/** Data attributes set when data lands in the store. */
export interface ImageDataFields {
  readonly size: number | null;
  readonly virtualSize: number | null;
  readonly checksum: string | null;
  readonly osHashAlgo: string | null;
  readonly osHashValue: string | null;
  readonly location: string | null;
}

/** Who is listing, and the visibility scope glance applies. */
export interface ImageScope {
  readonly projectId: string | undefined;
  readonly isAdmin: boolean;
  readonly visibility: Visibility | 'all' | undefined;
  readonly memberStatus: MemberStatus | 'all';
}

/** The SQL part of a list: everything but sorting and paging. */
export interface ImageFilter {
  readonly scope: ImageScope;
  readonly osHidden: boolean;
  readonly conditions: readonly FilterCondition[];
  readonly sizeMin: number | undefined;
  readonly sizeMax: number | undefined;
  readonly tags: readonly string[];
  readonly properties: ReadonlyArray<{ readonly name: string; readonly value: string }>;
}

const COLUMN: Readonly<Record<FilterCondition['field'], keyof ImageTable>> = {
  name: 'name',
  status: 'status',
  id: 'id',
  owner: 'owner',
  disk_format: 'disk_format',
  container_format: 'container_format',
  checksum: 'checksum',
  os_hash_value: 'os_hash_value',
  created_at: 'created_at',
  updated_at: 'updated_at',
  protected: 'protected',
  size: 'size',
  virtual_size: 'virtual_size',
  min_disk: 'min_disk',
  min_ram: 'min_ram',
};

const SQL_OP = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

function fromRow(r: ImageTable, properties: Record<string, string>, tags: string[]): Image {
  return {
    id: r.id,
    name: r.name,
    status: r.status as ImageStatus,
    visibility: r.visibility as Visibility,
    protected: toBool(r.protected),
    osHidden: toBool(r.os_hidden),
    size: numberOrNull(r.size),
    virtualSize: numberOrNull(r.virtual_size),
    checksum: r.checksum,
    osHashAlgo: r.os_hash_algo,
    osHashValue: r.os_hash_value,
    diskFormat: r.disk_format,
    containerFormat: r.container_format,
    minDisk: Number(r.min_disk),
    minRam: Number(r.min_ram),
    owner: r.owner,
    location: r.location,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    properties,
    tags,
  };
}

type Eb = ExpressionBuilder<ImageDatabase, 'images'>;

function memberOf(eb: Eb, projectId: string, status: MemberStatus | 'all'): Expression<SqlBool> {
  let q = eb.selectFrom('image_members').select('image_members.image_id').whereRef('image_members.image_id', '=', 'images.id').where('image_members.member', '=', projectId);
  if (status !== 'all') q = q.where('image_members.status', '=', status);
  return eb.exists(q);
}

/** glance's visibility rules for a list (glance/db/sqlalchemy/api.py _select_images_query). */
function scopeOf(eb: Eb, s: ImageScope): Expression<SqlBool> | undefined {
  const vis = s.visibility;
  if (s.isAdmin) {
    if (vis === undefined || vis === 'all') return undefined;
    return eb('images.visibility', '=', vis);
  }
  const p = s.projectId;
  if (p === undefined) {
    // A token without a project sees only what everybody sees.
    if (vis === 'community') return eb('images.visibility', '=', 'community');
    if (vis === undefined || vis === 'public' || vis === 'all') return eb.or([eb('images.visibility', '=', 'public'), ...(vis === 'all' ? [eb('images.visibility', '=', 'community')] : [])]);
    return eb.val(false) as unknown as Expression<SqlBool>;
  }
  const own = eb('images.owner', '=', p);
  const shared = eb.and([eb('images.visibility', '=', 'shared'), memberOf(eb, p, s.memberStatus)]);
  switch (vis) {
    case undefined:
      return eb.or([own, eb('images.visibility', '=', 'public'), shared]);
    case 'all':
      return eb.or([own, eb('images.visibility', 'in', ['public', 'community']), shared]);
    case 'public':
    case 'community':
      return eb('images.visibility', '=', vis);
    case 'private':
      return eb.and([eb('images.visibility', '=', 'private'), own]);
    case 'shared':
      return eb.and([eb('images.visibility', '=', 'shared'), eb.or([own, memberOf(eb, p, s.memberStatus)])]);
  }
}

/** Read and write images. */
export class ImageRepo {
  readonly #db: ImageDb;
  constructor(db: ImageDb) {
    this.#db = db;
  }

  /** Insert an image (status queued) with its properties and tags, in one transaction; throws the DB's unique violation on a duplicate id. */
  async create(input: NewImage): Promise<Image> {
    const now = nowIso();
    const row: ImageTable = {
      id: input.id,
      name: input.name,
      status: 'queued',
      visibility: input.visibility,
      protected: input.protected,
      os_hidden: input.osHidden,
      size: null,
      virtual_size: null,
      checksum: null,
      os_hash_algo: null,
      os_hash_value: null,
      disk_format: input.diskFormat,
      container_format: input.containerFormat,
      min_disk: input.minDisk,
      min_ram: input.minRam,
      owner: input.owner,
      location: null,
      created_at: now,
      updated_at: now,
    };
    await this.#db.transaction().execute(async (trx) => {
      await trx.insertInto('images').values(row).execute();
      await ImageRepo.#writeChildren(trx, input.id, input.properties, input.tags);
    });
    return fromRow(row, { ...input.properties }, [...input.tags]);
  }

  static async #writeChildren(trx: ImageDb, id: string, properties: Readonly<Record<string, string>> | undefined, tags: readonly string[] | undefined): Promise<void> {
    if (properties !== undefined) {
      await trx.deleteFrom('image_properties').where('image_id', '=', id).execute();
      const rows = Object.entries(properties).map(([name, value]) => ({ image_id: id, name, value }));
      if (rows.length > 0) await trx.insertInto('image_properties').values(rows).execute();
    }
    if (tags !== undefined) {
      await trx.deleteFrom('image_tags').where('image_id', '=', id).execute();
      const rows = [...new Set(tags)].map((value) => ({ image_id: id, value }));
      if (rows.length > 0) await trx.insertInto('image_tags').values(rows).execute();
    }
  }

  /** The image, or undefined. */
  async find(id: string): Promise<Image | undefined> {
    const r = await this.#db.selectFrom('images').selectAll().where('id', '=', id).executeTakeFirst();
    if (r === undefined) return undefined;
    return (await this.#hydrate([r]))[0];
  }

  async #hydrate(rows: readonly ImageTable[]): Promise<Image[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const props = await this.#db.selectFrom('image_properties').selectAll().where('image_id', 'in', ids).execute();
    const tags = await this.#db.selectFrom('image_tags').selectAll().where('image_id', 'in', ids).orderBy('value').execute();
    const propsBy = new Map<string, Record<string, string>>();
    for (const p of props) {
      let m = propsBy.get(p.image_id);
      if (m === undefined) propsBy.set(p.image_id, (m = {}));
      m[p.name] = p.value;
    }
    const tagsBy = new Map<string, string[]>();
    for (const t of tags) {
      let l = tagsBy.get(t.image_id);
      if (l === undefined) tagsBy.set(t.image_id, (l = []));
      l.push(t.value);
    }
    return rows.map((r) => fromRow(r, propsBy.get(r.id) ?? {}, tagsBy.get(r.id) ?? []));
  }

  /** Images with these ids, properties and tags loaded, in the given order. */
  async findMany(ids: readonly string[]): Promise<Image[]> {
    if (ids.length === 0) return [];
    const rows = await this.#db.selectFrom('images').selectAll().where('id', 'in', [...ids]).execute();
    const byId = new Map((await this.#hydrate(rows)).map((i) => [i.id, i]));
    return ids.map((id) => byId.get(id)).filter((i): i is Image => i !== undefined);
  }

  /** The rows (without properties and tags) matching a list filter; sorting and paging are the caller's. */
  async listRows(f: ImageFilter): Promise<Image[]> {
    let q = this.#db.selectFrom('images').selectAll();
    q = q.where((eb) => {
      const parts: Expression<SqlBool>[] = [];
      const scope = scopeOf(eb, f.scope);
      if (scope !== undefined) parts.push(scope);
      parts.push(eb('images.os_hidden', '=', f.osHidden));
      for (const c of f.conditions) {
        const col = `images.${COLUMN[c.field]}` as const;
        if (c.field === 'protected') {
          parts.push(eb(col, c.op === 'neq' ? '<>' : '=', c.values[0] === 'true'));
        } else if (c.op === 'in') {
          parts.push(c.values.length === 0 ? (eb.val(false) as unknown as Expression<SqlBool>) : eb(col, 'in', [...c.values]));
        } else {
          parts.push(eb(col, SQL_OP[c.op], c.values[0] ?? ''));
        }
      }
      if (f.sizeMin !== undefined) parts.push(eb('images.size', '>=', f.sizeMin));
      if (f.sizeMax !== undefined) parts.push(eb('images.size', '<=', f.sizeMax));
      for (const tag of f.tags) {
        parts.push(eb.exists(eb.selectFrom('image_tags').select('image_tags.image_id').whereRef('image_tags.image_id', '=', 'images.id').where('image_tags.value', '=', tag)));
      }
      for (const p of f.properties) {
        parts.push(eb.exists(eb.selectFrom('image_properties').select('image_properties.image_id').whereRef('image_properties.image_id', '=', 'images.id').where('image_properties.name', '=', p.name).where('image_properties.value', '=', p.value)));
      }
      return eb.and(parts);
    });
    return (await q.execute()).map((r) => fromRow(r, {}, []));
  }

  /** Load properties and tags of rows listRows returned. */
  async hydrate(images: readonly Image[]): Promise<Image[]> {
    return this.findMany(images.map((i) => i.id));
  }

  /**
   * Change writable attributes (and replace properties/tags when given), only while the status is
   * one of `whileStatus` when given. Resolves to false when no row matched (gone or status moved).
   */
  async save(id: string, changes: ImageChanges, whileStatus?: readonly ImageStatus[]): Promise<boolean> {
    const set: Partial<ImageTable> = { updated_at: nowIso() };
    if (changes.name !== undefined) set.name = changes.name;
    if (changes.visibility !== undefined) set.visibility = changes.visibility;
    if (changes.protected !== undefined) set.protected = changes.protected;
    if (changes.osHidden !== undefined) set.os_hidden = changes.osHidden;
    if (changes.diskFormat !== undefined) set.disk_format = changes.diskFormat;
    if (changes.containerFormat !== undefined) set.container_format = changes.containerFormat;
    if (changes.minDisk !== undefined) set.min_disk = changes.minDisk;
    if (changes.minRam !== undefined) set.min_ram = changes.minRam;
    if (changes.owner !== undefined) set.owner = changes.owner;
    return this.#db.transaction().execute(async (trx) => {
      let q = trx.updateTable('images').set(set).where('id', '=', id);
      if (whileStatus !== undefined) q = q.where('status', 'in', [...whileStatus]);
      const r = await q.executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) return false;
      await ImageRepo.#writeChildren(trx, id, changes.properties, changes.tags);
      return true;
    });
  }

  /** Move the status from one of `from` to `to` (optionally setting data fields); false when the status was not in `from`. */
  async transition(id: string, from: readonly ImageStatus[], to: ImageStatus, data?: Partial<ImageDataFields>): Promise<boolean> {
    const set: Partial<ImageTable> = { status: to, updated_at: nowIso() };
    if (data?.size !== undefined) set.size = data.size;
    if (data?.virtualSize !== undefined) set.virtual_size = data.virtualSize;
    if (data?.checksum !== undefined) set.checksum = data.checksum;
    if (data?.osHashAlgo !== undefined) set.os_hash_algo = data.osHashAlgo;
    if (data?.osHashValue !== undefined) set.os_hash_value = data.osHashValue;
    if (data?.location !== undefined) set.location = data.location;
    const r = await this.#db.updateTable('images').set(set).where('id', '=', id).where('status', 'in', [...from]).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Add one tag; false when the image is gone. Adding a tag it has is a no-op. */
  async addTag(id: string, tag: string): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const has = await trx.selectFrom('image_tags').select('value').where('image_id', '=', id).where('value', '=', tag).executeTakeFirst();
      if (has === undefined) await trx.insertInto('image_tags').values({ image_id: id, value: tag }).execute();
      await trx.updateTable('images').set({ updated_at: nowIso() }).where('id', '=', id).execute();
    });
  }

  /** Remove one tag; false when the image did not have it. */
  async removeTag(id: string, tag: string): Promise<boolean> {
    const r = await this.#db.deleteFrom('image_tags').where('image_id', '=', id).where('value', '=', tag).executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) return false;
    await this.#db.updateTable('images').set({ updated_at: nowIso() }).where('id', '=', id).execute();
    return true;
  }

  /** Delete the image and everything hanging off it; resolves to the deleted row (for its data location), or undefined. */
  async delete(id: string): Promise<Image | undefined> {
    return this.#db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('images').selectAll().where('id', '=', id).executeTakeFirst();
      if (row === undefined) return undefined;
      await trx.deleteFrom('image_properties').where('image_id', '=', id).execute();
      await trx.deleteFrom('image_tags').where('image_id', '=', id).execute();
      await trx.deleteFrom('image_members').where('image_id', '=', id).execute();
      await trx.deleteFrom('tasks').where('image_id', '=', id).execute();
      await trx.deleteFrom('images').where('id', '=', id).execute();
      return fromRow(row, {}, []);
    });
  }

  /** Bytes stored by a project's images (for user_storage_quota), leaving out `exceptId`. */
  async storageUsed(owner: string, exceptId?: string): Promise<number> {
    let q = this.#db.selectFrom('images').select(sql<number | string | null>`sum(size)`.as('total')).where('owner', '=', owner);
    if (exceptId !== undefined) q = q.where('id', '<>', exceptId);
    const r = await q.executeTakeFirst();
    return Number(r?.total ?? 0);
  }
}
