/**
 * What nova needs from glance, over the shared ImageClient of @strata/clients: image metadata,
 * verified image data into the host cache, snapshots. Finds glance in keystone's catalog.
 */
import { Readable } from 'node:stream';
import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { OpenStackError, ServiceUnavailable } from '@strata/errors';
import { ImageClient, type ImagePatchOp, type ImageRecord } from '@strata/clients';
import type { ServiceCatalog } from './service-catalog.js';

/** The image fields nova reads. */
export interface ImageMeta {
  readonly id: string;
  readonly name: string | null;
  readonly status: string;
  readonly size: number | null;
  readonly minRam: number;
  readonly minDisk: number;
  readonly checksum: string | null;
  readonly hashAlgo: string | null;
  readonly hashValue: string | null;
  readonly diskFormat: string | null;
  readonly containerFormat: string | null;
  readonly properties: Readonly<Record<string, unknown>>;
}

const CORE = new Set(['id', 'name', 'status', 'size', 'min_ram', 'min_disk', 'checksum', 'os_hash_algo', 'os_hash_value', 'disk_format', 'container_format', 'visibility', 'protected', 'os_hidden', 'owner', 'tags', 'created_at', 'updated_at', 'self', 'file', 'schema', 'virtual_size', 'locations', 'direct_url', 'stores']);

function metaOf(b: ImageRecord): ImageMeta {
  const properties: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(b)) if (!CORE.has(k)) properties[k] = v;
  return {
    id: String(b.id),
    name: typeof b.name === 'string' ? b.name : null,
    status: String(b.status),
    size: typeof b.size === 'number' ? b.size : null,
    minRam: Number(b.min_ram ?? 0),
    minDisk: Number(b.min_disk ?? 0),
    checksum: typeof b.checksum === 'string' ? b.checksum : null,
    hashAlgo: typeof b.os_hash_algo === 'string' ? b.os_hash_algo : null,
    hashValue: typeof b.os_hash_value === 'string' ? b.os_hash_value : null,
    diskFormat: typeof b.disk_format === 'string' ? b.disk_format : null,
    containerFormat: typeof b.container_format === 'string' ? b.container_format : null,
    properties,
  };
}

const rid = (requestId: string | undefined): { globalRequestId?: string } => (requestId !== undefined ? { globalRequestId: requestId } : {});

/** Glance as nova uses it; `available` is false when the catalog has no image service. */
export class ImageService {
  readonly #catalog: ServiceCatalog;
  readonly #clients = new Map<string, ImageClient>();
  constructor(catalog: ServiceCatalog) {
    this.#catalog = catalog;
  }

  async #client(token: string): Promise<ImageClient | undefined> {
    const url = await this.#catalog.endpoint(token, 'image');
    if (url === undefined) return undefined;
    let c = this.#clients.get(url);
    if (c === undefined) {
      c = new ImageClient(url);
      this.#clients.set(url, c);
    }
    return c;
  }

  async #required(token: string): Promise<ImageClient> {
    const c = await this.#client(token);
    if (c === undefined) throw new ServiceUnavailable('No image service in the catalog.');
    return c;
  }

  async available(token: string): Promise<boolean> {
    return (await this.#client(token)) !== undefined;
  }

  /** The raw glance image document, or undefined on 404 (or no glance). */
  async getRaw(token: string, id: string, requestId?: string): Promise<Record<string, unknown> | undefined> {
    const c = await this.#client(token);
    if (c === undefined) return undefined;
    try {
      return { ...(await c.getImage(token, id, rid(requestId))) };
    } catch (err) {
      if (err instanceof OpenStackError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** The image, or undefined when glance answers 404 (or there is no glance). */
  async find(token: string, id: string, requestId?: string): Promise<ImageMeta | undefined> {
    const raw = await this.getRaw(token, id, requestId);
    return raw === undefined ? undefined : metaOf(raw as ImageRecord);
  }

  /** Raw glance image documents, following `next` links. */
  async listRaw(token: string, query: Record<string, string>, requestId?: string): Promise<Array<Record<string, unknown>>> {
    const c = await this.#client(token);
    if (c === undefined) return [];
    return (await c.listImages(token, query, rid(requestId))).map((i) => ({ ...i }));
  }

  /** Download the image data to `path`, verified against glance's checksum; leaves nothing behind on failure. */
  async download(token: string, image: ImageMeta, path: string, requestId?: string): Promise<void> {
    const c = await this.#required(token);
    await mkdir(dirname(path), { recursive: true });
    await c.downloadToPath(token, image.id, path, rid(requestId));
  }

  /** Create a snapshot image record (queued); returns its id. */
  async createSnapshot(token: string, props: Record<string, unknown>, _data: Buffer, requestId?: string): Promise<string> {
    return (await (await this.#required(token)).createImage(token, props, rid(requestId))).id;
  }

  /** Upload data to a queued image. */
  async upload(token: string, imageId: string, data: Buffer, requestId?: string): Promise<void> {
    await (await this.#required(token)).uploadData(token, imageId, Readable.from([data]), rid(requestId));
  }

  /** Upload data from a stream (a snapshot file) to a queued image. */
  async uploadStream(token: string, imageId: string, data: Readable, requestId?: string): Promise<void> {
    await (await this.#required(token)).uploadData(token, imageId, data, rid(requestId));
  }

  /** Apply an RFC 6902 patch to an image's properties. */
  async patch(token: string, id: string, ops: ReadonlyArray<Record<string, unknown>>, requestId?: string): Promise<Record<string, unknown>> {
    return { ...(await (await this.#required(token)).updateImage(token, id, ops as unknown as readonly ImagePatchOp[], rid(requestId))) };
  }

  /** Delete an image; 404 and 403 pass through as errors. */
  async deleteStrict(token: string, id: string, requestId?: string): Promise<void> {
    const c = await this.#client(token);
    if (c === undefined) throw new OpenStackError(404, 'ImageNotFound', `Image ${id} could not be found.`);
    await c.deleteImage(token, id, rid(requestId));
  }

  /** Delete an image, ignoring failures (cleanup). */
  async delete(token: string, imageId: string, requestId?: string): Promise<void> {
    await this.deleteStrict(token, imageId, requestId).catch(() => undefined);
  }
}

/** True when a file exists with the given size (null: any size). */
export async function cachedFileOk(path: string, size: number | null): Promise<boolean> {
  try {
    const s = await stat(path);
    return size === null || s.size === size;
  } catch {
    return false;
  }
}
