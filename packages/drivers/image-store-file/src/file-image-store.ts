/** The file image store: one file per image under a directory, written to a temporary file and renamed into place. */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import {
  ImageDataNotFound,
  InvalidImageLocation,
  isImageId,
  type AddOptions,
  type GetOptions,
  type ImageDataStream,
  type ImageStore,
  type ImageStoreCapabilities,
  type StoredImageData,
} from '@strata/image-store';
import { ImageHasher } from './image-hasher.js';
import { FileHashWorker, type FileHashSession } from './hash-worker-pool.js';
import { FileWriter } from './file-writer.js';

/** Options of FileImageStore.create. */
export interface FileImageStoreOptions {
  /** Directory holding the image files (glance's filesystem_store_datadir); created if missing. */
  readonly dir: string;
  /** Store id shown to clients. @default 'file' */
  readonly id?: string;
  /** fsync each file before it is renamed into place (slower, survives power loss). @default false */
  readonly fsync?: boolean;
  /**
   * Compute MD5 and SHA-512 on two worker threads that read the file behind the writer, in parallel
   * with each other and with the network; the API's event loop then only moves bytes. @default true
   */
  readonly parallelHashing?: boolean;
}

const TEMP_PREFIX = '.tmp-';
const READ_CHUNK = 1024 * 1024;

/** Image data as files named `<dir>/<image id>`; locations are `file://<dir>/<image id>`. */
export class FileImageStore implements ImageStore {
  readonly id: string;
  readonly capabilities: ImageStoreCapabilities = Object.freeze({ rangeRead: true, write: true });
  readonly #dir: string;
  readonly #fsync: boolean;
  readonly #hashWorkers: { readonly md5: FileHashWorker; readonly sha512: FileHashWorker } | undefined;
  #closed = false;

  protected constructor(dir: string, id: string, fsync: boolean, parallelHashing: boolean) {
    this.#dir = dir;
    this.id = id;
    this.#fsync = fsync;
    this.#hashWorkers = parallelHashing ? { md5: new FileHashWorker('md5'), sha512: new FileHashWorker('sha512') } : undefined;
  }

  /** Open the store: create its directory and remove temporary files an earlier crash left behind. */
  static async create(options: FileImageStoreOptions): Promise<FileImageStore> {
    const dir = resolve(options.dir);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    for (const name of await readdir(dir)) {
      if (name.startsWith(TEMP_PREFIX)) await rm(join(dir, name), { force: true });
    }
    return new FileImageStore(dir, options.id ?? 'file', options.fsync ?? false, options.parallelHashing ?? true);
  }

  /** The directory of the files. */
  get dir(): string {
    return this.#dir;
  }

  /** The location add() gives an image (whether or not it has data yet). */
  locationOf(imageId: string): string {
    return `file://${this.#pathOf(imageId)}`;
  }

  async add(imageId: string, data: Readable, options: AddOptions = {}): Promise<StoredImageData> {
    if (this.#closed) throw new Error('the image store is closed');
    const final = this.#pathOf(imageId);
    const temp = join(this.#dir, `${TEMP_PREFIX}${imageId}-${randomBytes(6).toString('hex')}`);
    const fh = await open(temp, 'wx', 0o600);
    const workers = this.#hashWorkers;
    const sessions: FileHashSession[] = workers === undefined ? [] : [workers.md5.open(temp), workers.sha512.open(temp)];
    const counter = new ImageHasher({ ...(options.maxSize !== undefined ? { maxSize: options.maxSize } : {}), hash: workers === undefined });
    let result: StoredImageData;
    try {
      const writer = new FileWriter(fh, sessions.length === 0 ? undefined : (n) => sessions.forEach((s) => s.written(n)));
      await pipeline(data, counter, writer, ...(options.signal !== undefined ? [{ signal: options.signal }] : []));
      let md5: string;
      let sha512: string;
      if (sessions.length === 2) [md5, sha512] = await Promise.all(sessions.map((s) => s.digest(writer.total))) as [string, string];
      else ({ md5, sha512 } = counter.digest());
      if (this.#fsync) await fh.sync();
      await fh.close();
      await rename(temp, final);
      result = { location: `file://${final}`, size: counter.size, checksum: md5, hashAlgo: 'sha512', hashValue: sha512 };
    } catch (err) {
      for (const s of sessions) s.cancel();
      await fh.close().catch(() => undefined);
      await rm(temp, { force: true });
      throw err;
    }
    return result;
  }

  async get(location: string, options: GetOptions = {}): Promise<ImageDataStream> {
    const path = this.#pathOfLocation(location);
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ImageDataNotFound(location);
      throw err;
    }
    const start = options.offset ?? 0;
    const length = options.length ?? Math.max(0, size - start);
    if (length === 0) {
      // createReadStream treats end < start as "to the end"; an empty range must read nothing.
      return { stream: Readable.from([]), size };
    }
    const stream = createReadStream(path, { start, end: start + length - 1, highWaterMark: READ_CHUNK });
    return { stream, size };
  }

  async delete(location: string): Promise<void> {
    await rm(this.#pathOfLocation(location), { force: true });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#hashWorkers?.md5.close();
    await this.#hashWorkers?.sha512.close();
  }

  #pathOf(imageId: string): string {
    if (!isImageId(imageId)) throw new InvalidImageLocation(imageId);
    return join(this.#dir, imageId);
  }

  #pathOfLocation(location: string): string {
    const prefix = `file://${this.#dir}${sep}`;
    if (!location.startsWith(prefix)) throw new InvalidImageLocation(location);
    const name = location.slice(prefix.length);
    if (!isImageId(name)) throw new InvalidImageLocation(location);
    return join(this.#dir, name);
  }
}
