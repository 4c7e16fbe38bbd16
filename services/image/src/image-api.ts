/** ImageApi: glance-api's business rules — visibility, image lifecycle, data upload/download, import, tags and members. */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BadRequest, Conflict, Forbidden, NotFound, OpenStackError, OverLimit, isOpenStackError } from '@strata/errors';
import { isUniqueViolation } from '@strata/db';
import type { RequestContext } from '@strata/auth';
import type { Logger } from '@strata/log';
import type { Trace } from '@strata/trace';
import { ImageSizeLimitExceeded, type ImageStore, type StoredImageData } from '@strata/image-store';
import type { ImageDb } from './objects/common.js';
import { ImageRepo, type Image, type ImageChanges } from './objects/image.js';
import { MemberRepo, type ImageMember } from './objects/image-member.js';
import { TaskRepo, type Task } from './objects/task.js';
import { checkWritable, isCore, isUuid, validateCore, validateProperty, MEMBER_STATUSES, type ImageDocument, type MemberStatus, type Visibility } from './image-schema.js';
import { applyPatch, type PatchOp, type PATCH_V20, type PATCH_V21 } from './json-patch.js';
import type { ImageListQuery, SortKey } from './image-filters.js';
import { DiskFormatInspector } from './disk-format-inspector.js';

/** Limits glance enforces ([image] options). 0 means no limit for the counts and the quota. */
export interface ImageLimits {
  readonly imageSizeCap: number;
  readonly userStorageQuota: number;
  readonly memberQuota: number;
  readonly propertyQuota: number;
  readonly tagQuota: number;
}

/** What ImageApi is built from. */
export interface ImageApiOptions {
  readonly db: ImageDb;
  /** Where active image data lives. */
  readonly store: ImageStore;
  /** Where glance-direct stages data before import. */
  readonly staging: ImageStore;
  readonly logger: Logger;
  readonly limits: ImageLimits;
  /** Import methods offered (`glance-direct`). */
  readonly importMethods: readonly string[];
}

/** A page of a list. */
export interface ImagePage {
  readonly images: readonly Image[];
  /** The marker of the next page, when there is one. */
  readonly nextMarker: string | undefined;
}

/** Image data being downloaded. */
export type ImageDownload =
  | { readonly kind: 'empty' }
  | { readonly kind: 'data'; readonly image: Image; readonly stream: Readable; readonly size: number; readonly offset: number; readonly length: number };

/** A byte range of a download, already checked against the image size by the caller. */
export interface ByteRange {
  readonly offset: number;
  readonly length: number;
}

/** 410: the image went away while its data was being written. */
class ImageGone extends OpenStackError {
  constructor(id: string) {
    super(410, 'ImageGone', `Image ${id} could not be found after upload. The image may have been deleted during the upload.`, { id });
  }
}

function imageNotFound(id: string): NotFound {
  return new NotFound(`No image found with ID ${id}`, { id }, 'ImageNotFound');
}

/** The writable state of an image, by API name (what a JSON patch applies to). */
export function documentOf(image: Image): ImageDocument {
  return {
    name: image.name,
    visibility: image.visibility,
    protected: image.protected,
    os_hidden: image.osHidden,
    disk_format: image.diskFormat,
    container_format: image.containerFormat,
    min_disk: image.minDisk,
    min_ram: image.minRam,
    owner: image.owner,
    tags: [...image.tags],
    properties: { ...image.properties },
  };
}

function compareBy(key: SortKey, a: Image, b: Image): number {
  const field: Record<SortKey, (i: Image) => string | number | null> = {
    name: (i) => i.name,
    status: (i) => i.status,
    container_format: (i) => i.containerFormat,
    disk_format: (i) => i.diskFormat,
    size: (i) => i.size,
    virtual_size: (i) => i.virtualSize,
    id: (i) => i.id,
    created_at: (i) => i.createdAt,
    updated_at: (i) => i.updatedAt,
  };
  const x = field[key](a);
  const y = field[key](b);
  // NULLs sort first ascending, as on MariaDB and SQLite.
  if (x === y) return 0;
  if (x === null) return -1;
  if (y === null) return 1;
  return x < y ? -1 : 1;
}

/** Glance's business rules over its DB and stores. */
export class ImageApi {
  readonly images: ImageRepo;
  readonly members: MemberRepo;
  readonly tasks: TaskRepo;
  readonly #store: ImageStore;
  readonly #staging: ImageStore;
  readonly #log: Logger;
  readonly #limits: ImageLimits;
  readonly #importMethods: readonly string[];
  readonly #running = new Set<Promise<void>>();

  constructor(opts: ImageApiOptions) {
    this.images = new ImageRepo(opts.db);
    this.members = new MemberRepo(opts.db);
    this.tasks = new TaskRepo(opts.db);
    this.#store = opts.store;
    this.#staging = opts.staging;
    this.#log = opts.logger;
    this.#limits = opts.limits;
    this.#importMethods = opts.importMethods;
  }

  /** Import methods offered. */
  get importMethods(): readonly string[] {
    return this.#importMethods;
  }

  /** The store active data lives in. */
  get store(): ImageStore {
    return this.#store;
  }

  // ---- visibility -----------------------------------------------------------------

  /** True when the caller may see the image at all (glance's is_image_visible). */
  async isVisible(ctx: RequestContext, image: Image): Promise<boolean> {
    if (ctx.isAdmin) return true;
    if (image.visibility === 'public' || image.visibility === 'community') return true;
    if (ctx.projectId === undefined) return false;
    if (image.owner === ctx.projectId) return true;
    if (image.visibility === 'shared') return (await this.members.find(image.id, ctx.projectId)) !== undefined;
    return false;
  }

  /** The image when the caller may see it; 404 otherwise (also for another project's private image). */
  async get(ctx: RequestContext, id: string, trace?: Trace): Promise<Image> {
    const load = async (): Promise<Image | undefined> => this.images.find(id);
    const image = trace === undefined ? await load() : await trace.step(24, 'glance-api', 'db', load, 'image record and location read');
    if (image === undefined || !(await this.isVisible(ctx, image))) throw imageNotFound(id);
    ctx.authorize('get_image', { projectId: image.owner });
    return image;
  }

  /** The image when the caller may see it and `rule` allows the change on it; 404 / 403 otherwise. */
  async #getForWrite(ctx: RequestContext, id: string, rule: string): Promise<Image> {
    const image = await this.images.find(id);
    if (image === undefined || !(await this.isVisible(ctx, image))) throw imageNotFound(id);
    if (!ctx.isAdmin && image.owner !== ctx.projectId) throw new Forbidden(`You are not permitted to modify this image.`, { id }, 'ImageNotOwned');
    ctx.authorize(rule, { projectId: image.owner });
    return image;
  }

  #checkVisibilityChange(ctx: RequestContext, to: Visibility): void {
    if (to === 'public' && !ctx.can('publicize_image')) throw new Forbidden(`You are not authorized to complete publicize_image action.`, {}, 'PolicyNotAuthorized');
    if (to === 'community' && !ctx.can('communitize_image', { projectId: ctx.projectId ?? null })) throw new Forbidden(`You are not authorized to complete communitize_image action.`, {}, 'PolicyNotAuthorized');
  }

  #checkQuotas(properties: Readonly<Record<string, string>>, tags: readonly string[]): void {
    const { propertyQuota, tagQuota } = this.#limits;
    const nProps = Object.keys(properties).length;
    if (propertyQuota > 0 && nProps > propertyQuota) throw new OverLimit(`Attempted: ${nProps}, Maximum: ${propertyQuota}`, { quota: propertyQuota }, 'ImagePropertyLimitExceeded');
    if (tagQuota > 0 && tags.length > tagQuota) throw new OverLimit(`Attempted: ${tags.length}, Maximum: ${tagQuota}`, { quota: tagQuota }, 'ImageTagLimitExceeded');
  }

  // ---- images -----------------------------------------------------------------------

  /** POST /v2/images: a queued image owned by the caller's project (or, for an admin, any owner). */
  async create(ctx: RequestContext, body: Readonly<Record<string, unknown>>): Promise<Image> {
    const doc: ImageDocument = { name: null, visibility: 'shared', protected: false, os_hidden: false, disk_format: null, container_format: null, min_disk: 0, min_ram: 0, owner: ctx.projectId ?? null, tags: [], properties: {} };
    let id: string = randomUUID();
    for (const [key, value] of Object.entries(body)) {
      if (key === 'id') {
        if (typeof value !== 'string' || !isUuid(value)) throw new BadRequest(`Provided object does not match schema 'image': ${JSON.stringify(value)} is not a 'uuid'`, {}, 'SchemaValidationError');
        id = value;
        continue;
      }
      checkWritable(key);
      if (isCore(key)) {
        validateCore(key, value);
        if (key === 'tags') doc.tags = [...new Set(value as string[])];
        else (doc as unknown as Record<string, unknown>)[key] = value;
      } else {
        validateProperty(key, value);
        if (value !== null) doc.properties[key] = value as string;
      }
    }
    ctx.authorize('add_image', { projectId: doc.owner });
    if (doc.owner !== ctx.projectId && !ctx.can('set_image_owner')) throw new Forbidden(`You are not permitted to create images owned by '${doc.owner}'.`, { owner: doc.owner }, 'ImageOwnerForbidden');
    this.#checkVisibilityChange(ctx, doc.visibility);
    this.#checkQuotas(doc.properties, doc.tags);
    try {
      return await this.images.create({
        id,
        name: doc.name,
        visibility: doc.visibility,
        protected: doc.protected,
        osHidden: doc.os_hidden,
        diskFormat: doc.disk_format,
        containerFormat: doc.container_format,
        minDisk: doc.min_disk,
        minRam: doc.min_ram,
        owner: doc.owner,
        properties: doc.properties,
        tags: doc.tags,
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`Image with identifier ${id} already exists!`, { id }, 'DuplicateImage');
      throw err;
    }
  }

  /** GET /v2/images: the visible images matching `q`, sorted and paged. 400 for a marker the caller cannot see. */
  async list(ctx: RequestContext, q: ImageListQuery): Promise<ImagePage> {
    ctx.authorize('get_images');
    const rows = await this.images.listRows({
      scope: { projectId: ctx.projectId, isAdmin: ctx.isAdmin, visibility: q.visibility, memberStatus: q.memberStatus },
      osHidden: q.osHidden,
      conditions: q.conditions,
      sizeMin: q.sizeMin,
      sizeMax: q.sizeMax,
      tags: q.tags,
      properties: q.properties,
    });
    rows.sort((a, b) => {
      for (const { key, dir } of q.sort) {
        const c = compareBy(key, a, b);
        if (c !== 0) return dir === 'asc' ? c : -c;
      }
      return 0;
    });
    let start = 0;
    if (q.marker !== undefined) {
      const at = rows.findIndex((r) => r.id === q.marker);
      if (at < 0) throw new BadRequest(`Invalid marker. Image ${q.marker} could not be found.`, { marker: q.marker }, 'InvalidMarker');
      start = at + 1;
    }
    const page = rows.slice(start, start + q.limit);
    const more = start + q.limit < rows.length;
    return { images: await this.images.hydrate(page), nextMarker: more && page.length > 0 ? page[page.length - 1]?.id : undefined };
  }

  /** PATCH /v2/images/{id}: apply a JSON patch all or nothing, with glance's rules on who may change what. */
  async update(ctx: RequestContext, id: string, ops: readonly PatchOp[], mediaType: typeof PATCH_V20 | typeof PATCH_V21): Promise<Image> {
    const image = await this.#getForWrite(ctx, id, 'modify_image');
    const before = documentOf(image);
    const after = applyPatch(before, ops, mediaType);
    const changes: { -readonly [K in keyof ImageChanges]: ImageChanges[K] } = {};
    if (after.name !== before.name) changes.name = after.name;
    if (after.visibility !== before.visibility) {
      this.#checkVisibilityChange(ctx, after.visibility);
      changes.visibility = after.visibility;
    }
    if (after.protected !== before.protected) changes.protected = after.protected;
    if (after.os_hidden !== before.os_hidden) changes.osHidden = after.os_hidden;
    if (after.min_disk !== before.min_disk) changes.minDisk = after.min_disk;
    if (after.min_ram !== before.min_ram) changes.minRam = after.min_ram;
    if (after.owner !== before.owner) {
      if (!ctx.can('set_image_owner')) throw new Forbidden(`You are not permitted to modify 'owner' on this image.`, {}, 'ImageOwnerForbidden');
      changes.owner = after.owner;
    }
    let whileStatus: Array<Image['status']> | undefined;
    for (const attr of ['disk_format', 'container_format'] as const) {
      if (after[attr] === before[attr]) continue;
      if (image.status !== 'queued') throw new Forbidden(`Attribute ${attr} can be only replaced for a queued image.`, { attribute: attr }, 'ImageNotQueued');
      whileStatus = ['queued'];
      if (attr === 'disk_format') changes.diskFormat = after.disk_format;
      else changes.containerFormat = after.container_format;
    }
    if (JSON.stringify(after.tags) !== JSON.stringify(before.tags)) changes.tags = after.tags;
    if (JSON.stringify(after.properties) !== JSON.stringify(before.properties)) changes.properties = after.properties;
    this.#checkQuotas(after.properties, after.tags);
    if (Object.keys(changes).length > 0 && !(await this.images.save(id, changes, whileStatus))) {
      if ((await this.images.find(id)) === undefined) throw imageNotFound(id);
      throw new Conflict(`Image ${id} changed status while it was being updated; try again.`, { id }, 'ImageStatusChanged');
    }
    return (await this.images.find(id)) ?? image;
  }

  /** DELETE /v2/images/{id}: 403 when protected; the data goes with it. */
  async delete(ctx: RequestContext, id: string): Promise<void> {
    const image = await this.#getForWrite(ctx, id, 'delete_image');
    if (image.protected) throw new Forbidden(`Image ${id} is protected and cannot be deleted.`, { id }, 'ImageProtected');
    const gone = await this.images.delete(id);
    if (gone === undefined) throw imageNotFound(id);
    if (gone.location !== null) await this.#deleteData(gone.status === 'uploading' || gone.status === 'importing' ? this.#staging : this.#store, gone.location);
  }

  async #deleteData(store: ImageStore, location: string): Promise<void> {
    try {
      await store.delete(location);
    } catch (err) {
      this.#log.warn({ err, location }, 'could not delete image data');
    }
  }

  /** deactivate / reactivate actions: only between active and deactivated. */
  async setActive(ctx: RequestContext, id: string, active: boolean): Promise<void> {
    const image = await this.#getForWrite(ctx, id, active ? 'reactivate' : 'deactivate');
    const from = active ? 'deactivated' : 'active';
    const to = active ? 'active' : 'deactivated';
    if (image.status === to) return;
    if (image.status !== from || !(await this.images.transition(id, [from], to))) {
      throw new Forbidden(`Not allowed to ${active ? 'reactivate' : 'deactivate'} image in status '${image.status}'`, { id, status: image.status }, 'InvalidImageStatusTransition');
    }
  }

  // ---- data -------------------------------------------------------------------------

  async #maxSizeFor(owner: string | null, imageId: string): Promise<number> {
    let max = this.#limits.imageSizeCap;
    if (this.#limits.userStorageQuota > 0 && owner !== null) {
      const left = this.#limits.userStorageQuota - (await this.images.storageUsed(owner, imageId));
      if (left <= 0) throw new OverLimit(`Denying attempt to upload image because it exceeds the quota: The size of the data will exceed the limit. ${-left} bytes remaining.`, { quota: this.#limits.userStorageQuota }, 'StorageQuotaFull');
      max = Math.min(max, left);
    }
    return max;
  }

  /** Write `data` for `image` to `store` through the disk-format inspector; the stored data and its virtual size. */
  async #write(store: ImageStore, image: Image, data: Readable, maxSize: number): Promise<StoredImageData & { virtualSize: number | null }> {
    const inspector = new DiskFormatInspector(image.diskFormat);
    const feeding = pipeline(data, inspector).catch(() => undefined);
    try {
      const stored = await store.add(image.id, inspector, { maxSize });
      return { ...stored, virtualSize: inspector.virtualSize() };
    } finally {
      inspector.destroy();
      await feeding;
    }
  }

  /**
   * PUT /v2/images/{id}/file: queued → saving → active, computing size, checksums and virtual size.
   * A failed or interrupted upload returns the image to queued and leaves no data behind;
   * 409 unless the image is queued; 413 past image_size_cap or the project's storage quota.
   */
  async upload(ctx: RequestContext, id: string, data: Readable): Promise<void> {
    const image = await this.#getForWrite(ctx, id, 'upload_image');
    if (image.status !== 'queued' || !(await this.images.transition(id, ['queued'], 'saving'))) {
      throw new Conflict(`Image status transition from ${image.status} to saving is not allowed`, { id, status: image.status }, 'InvalidImageStatusTransition');
    }
    let stored: (StoredImageData & { virtualSize: number | null }) | undefined;
    try {
      stored = await this.#write(this.#store, image, data, await this.#maxSizeFor(image.owner, id));
      await this.#checkQuotaAfter(image.owner, id, stored.size);
    } catch (err) {
      if (stored !== undefined) await this.#deleteData(this.#store, stored.location);
      await this.images.transition(id, ['saving'], 'queued');
      throw err;
    }
    const ok = await this.images.transition(id, ['saving'], 'active', {
      size: stored.size,
      virtualSize: stored.virtualSize,
      checksum: stored.checksum,
      osHashAlgo: stored.hashAlgo,
      osHashValue: stored.hashValue,
      location: stored.location,
    });
    if (!ok) {
      await this.#deleteData(this.#store, stored.location);
      throw new ImageGone(id);
    }
    this.#log.info({ imageId: id, size: stored.size }, 'image data uploaded');
  }

  async #checkQuotaAfter(owner: string | null, id: string, size: number): Promise<void> {
    const quota = this.#limits.userStorageQuota;
    if (quota <= 0 || owner === null) return;
    // NOTE: concurrent uploads of one project each passed the check before; the one that lands last pays.
    if ((await this.images.storageUsed(owner, id)) + size > quota) throw new ImageSizeLimitExceeded(quota);
  }

  /** GET /v2/images/{id}/file: the data (or a range of it); `empty` for an image without data (204). */
  async download(ctx: RequestContext, id: string, range: ((size: number) => ByteRange | undefined) | undefined, trace?: Trace): Promise<ImageDownload> {
    const image = await this.get(ctx, id, trace);
    trace?.record({ step: 25, component: 'glance-api', kind: 'db', startedAt: Date.now(), durationMs: 0, outcome: 'ok', detail: 'image metadata returned to glance-api' });
    ctx.authorize('download_image', { projectId: image.owner });
    if (image.status === 'deactivated' && !ctx.isAdmin) throw new Forbidden('The requested image has been deactivated. Image data download is prohibited.', { id }, 'ImageDeactivated');
    if (image.status !== 'active' && image.status !== 'deactivated') return { kind: 'empty' };
    if (image.location === null) return { kind: 'empty' };
    const location = image.location;
    const size = image.size ?? 0;
    const r = range?.(size);
    const open = async () => this.#store.get(location, r === undefined ? {} : { offset: r.offset, length: r.length });
    const got = trace === undefined ? await open() : await trace.step(26, 'glance-api', 'http', open, `image data fetched from the ${this.#store.id} store`);
    return { kind: 'data', image, stream: got.stream, size: got.size, offset: r?.offset ?? 0, length: r?.length ?? got.size };
  }

  /** PUT /v2/images/{id}/stage: queued → uploading with the data in the staging area. */
  async stage(ctx: RequestContext, id: string, data: Readable): Promise<void> {
    const image = await this.#getForWrite(ctx, id, 'upload_image');
    if (!this.#importMethods.includes('glance-direct')) throw new NotFound('The glance-direct import method is not enabled.', {}, 'ImportMethodDisabled');
    if (image.status !== 'queued' || !(await this.images.transition(id, ['queued'], 'uploading'))) {
      throw new Conflict(`Image status transition from ${image.status} to uploading is not allowed`, { id, status: image.status }, 'InvalidImageStatusTransition');
    }
    let staged: StoredImageData | undefined;
    try {
      staged = await this.#staging.add(id, data, { maxSize: await this.#maxSizeFor(image.owner, id) });
    } catch (err) {
      await this.images.transition(id, ['uploading'], 'queued');
      throw err;
    }
    if (!(await this.images.transition(id, ['uploading'], 'uploading', { location: staged.location }))) {
      await this.#deleteData(this.#staging, staged.location);
      throw new ImageGone(id);
    }
  }

  /** POST /v2/images/{id}/import: start importing staged data (glance-direct); the work continues after the 202. */
  async import(ctx: RequestContext, id: string, body: { method?: { name?: unknown }; stores?: unknown; all_stores?: unknown }): Promise<Task> {
    const image = await this.#getForWrite(ctx, id, 'import_image');
    const method = body.method?.name;
    if (typeof method !== 'string' || !this.#importMethods.includes(method)) throw new BadRequest(`Import method ${String(method)} is not valid.`, {}, 'InvalidImportMethod');
    if (body.stores !== undefined) {
      if (!Array.isArray(body.stores) || body.stores.some((s) => s !== this.#store.id)) throw new Conflict(`Unknown store(s): ${JSON.stringify(body.stores)}`, {}, 'UnknownStore');
    }
    if (image.status !== 'uploading' || image.location === null) throw new Conflict(`Image needs to be staged before 'glance-direct' method can be used`, { id, status: image.status }, 'ImageNotStaged');
    if (!(await this.images.transition(id, ['uploading'], 'importing'))) throw new Conflict(`Image ${id} is already being imported.`, { id }, 'ImageNotStaged');
    const task = await this.tasks.create({
      imageId: id,
      owner: image.owner ?? ctx.projectId ?? '',
      userId: ctx.userId,
      requestId: ctx.requestId,
      input: { image_id: id, import_req: { method: { name: method }, ...(body.stores !== undefined ? { stores: body.stores } : {}) }, backend: [this.#store.id] },
    });
    const run = this.#runImport({ ...image, status: 'importing' }, image.location, task).finally(() => this.#running.delete(run));
    this.#running.add(run);
    return task;
  }

  async #runImport(image: Image, stagedAt: string, task: Task): Promise<void> {
    await this.tasks.update(task.id, 'processing');
    let stored: (StoredImageData & { virtualSize: number | null }) | undefined;
    try {
      const { stream } = await this.#staging.get(stagedAt);
      stored = await this.#write(this.#store, image, stream, await this.#maxSizeFor(image.owner, image.id));
      await this.#checkQuotaAfter(image.owner, image.id, stored.size);
      const ok = await this.images.transition(image.id, ['importing'], 'active', {
        size: stored.size,
        virtualSize: stored.virtualSize,
        checksum: stored.checksum,
        osHashAlgo: stored.hashAlgo,
        osHashValue: stored.hashValue,
        location: stored.location,
      });
      if (!ok) throw new ImageGone(image.id);
      await this.tasks.update(task.id, 'success', { result: { image_id: image.id } });
      this.#log.info({ imageId: image.id, size: stored.size }, 'image imported');
    } catch (err) {
      if (stored !== undefined) await this.#deleteData(this.#store, stored.location);
      const reverted = await this.images.transition(image.id, ['importing'], 'queued', { location: null });
      await this.tasks.update(task.id, 'failure', { message: isOpenStackError(err) ? err.message : 'Import failed' }).catch(() => undefined);
      this.#log.warn({ err, imageId: image.id, reverted }, 'image import failed');
    } finally {
      await this.#deleteData(this.#staging, stagedAt);
    }
  }

  /** Resolves once every import started so far has finished (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  /** GET /v2/images/{id}/tasks. */
  async imageTasks(ctx: RequestContext, id: string): Promise<Task[]> {
    const image = await this.get(ctx, id);
    ctx.authorize('get_image_tasks', { projectId: image.owner });
    return this.tasks.listForImage(id);
  }

  // ---- tags -------------------------------------------------------------------------

  /** PUT /v2/images/{id}/tags/{tag}. */
  async addTag(ctx: RequestContext, id: string, tag: string): Promise<void> {
    const image = await this.#getForWrite(ctx, id, 'modify_image');
    if (tag.length > 255) throw new BadRequest(`Provided object does not match schema 'image': '${tag}' is too long`, {}, 'SchemaValidationError');
    if (image.tags.includes(tag)) return;
    this.#checkQuotas({}, [...image.tags, tag]);
    await this.images.addTag(id, tag);
  }

  /** DELETE /v2/images/{id}/tags/{tag}: 404 when the image does not have it. */
  async removeTag(ctx: RequestContext, id: string, tag: string): Promise<void> {
    await this.#getForWrite(ctx, id, 'modify_image');
    if (!(await this.images.removeTag(id, tag))) throw new NotFound(`Tag ${tag} not found`, { tag }, 'TagNotFound');
  }

  // ---- members ----------------------------------------------------------------------

  async #sharedImage(ctx: RequestContext, id: string): Promise<Image> {
    const image = await this.get(ctx, id);
    if (image.visibility !== 'shared') throw new Forbidden(`Only shared images have members.`, { id }, 'ImageNotShared');
    return image;
  }

  #isOwner(ctx: RequestContext, image: Image): boolean {
    return ctx.isAdmin || (ctx.projectId !== undefined && image.owner === ctx.projectId);
  }

  /** GET /v2/images/{id}/members: all members for the owner, the caller's own membership for a member. */
  async listMembers(ctx: RequestContext, id: string): Promise<ImageMember[]> {
    const image = await this.#sharedImage(ctx, id);
    ctx.authorize('get_members', { projectId: image.owner });
    const all = await this.members.list(id);
    return this.#isOwner(ctx, image) ? all : all.filter((m) => m.memberId === ctx.projectId);
  }

  /** POST /v2/images/{id}/members: share with a project (pending). */
  async addMember(ctx: RequestContext, id: string, memberId: unknown): Promise<ImageMember> {
    const image = await this.get(ctx, id);
    if (!this.#isOwner(ctx, image)) throw new Forbidden(`You are not permitted to add members to image ${id}.`, { id }, 'ImageNotOwned');
    ctx.authorize('add_member', { projectId: image.owner });
    if (typeof memberId !== 'string' || memberId === '' || memberId.length > 255) throw new BadRequest(`Provided object does not match schema 'member': member must be a string of 1 to 255 characters`, {}, 'SchemaValidationError');
    if (image.visibility !== 'shared') throw new Forbidden(`Only shared images have members.`, { id }, 'ImageNotShared');
    const quota = this.#limits.memberQuota;
    if (quota > 0 && (await this.members.count(id)) >= quota) throw new OverLimit(`Attempted: ${quota + 1}, Maximum: ${quota}`, { quota }, 'ImageMemberLimitExceeded');
    try {
      return await this.members.create(id, memberId);
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`Member ${memberId} already associated with image ${id}`, { id, memberId }, 'DuplicateMember');
      throw err;
    }
  }

  /** GET /v2/images/{id}/members/{member}. */
  async getMember(ctx: RequestContext, id: string, memberId: string): Promise<ImageMember> {
    const image = await this.#sharedImage(ctx, id);
    ctx.authorize('get_member', { projectId: image.owner });
    const m = await this.members.find(id, memberId);
    if (m === undefined || (!this.#isOwner(ctx, image) && memberId !== ctx.projectId)) throw new NotFound(`${memberId} is not a member of image ${id}`, { id, memberId }, 'MemberNotFound');
    return m;
  }

  /** PUT /v2/images/{id}/members/{member}: the member project accepts, rejects or resets its membership. */
  async updateMember(ctx: RequestContext, id: string, memberId: string, status: unknown): Promise<ImageMember> {
    await this.#sharedImage(ctx, id);
    if (typeof status !== 'string' || !(MEMBER_STATUSES as readonly string[]).includes(status)) throw new BadRequest(`Provided object does not match schema 'member': ${JSON.stringify(status)} is not one of ${JSON.stringify(MEMBER_STATUSES)}`, {}, 'SchemaValidationError');
    const existing = await this.members.find(id, memberId);
    if (existing === undefined) throw new NotFound(`${memberId} is not a member of image ${id}`, { id, memberId }, 'MemberNotFound');
    ctx.authorize('modify_member', { projectId: memberId });
    return (await this.members.setStatus(id, memberId, status as MemberStatus)) ?? existing;
  }

  /** DELETE /v2/images/{id}/members/{member}: the owner stops sharing. */
  async deleteMember(ctx: RequestContext, id: string, memberId: string): Promise<void> {
    const image = await this.#sharedImage(ctx, id);
    if (!this.#isOwner(ctx, image)) throw new Forbidden(`You are not permitted to remove members from image ${id}.`, { id }, 'ImageNotOwned');
    ctx.authorize('delete_member', { projectId: image.owner });
    if (!(await this.members.delete(id, memberId))) throw new NotFound(`${memberId} is not a member of image ${id}`, { id, memberId }, 'MemberNotFound');
  }
}
