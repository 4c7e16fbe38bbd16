/**
 * Client of glance's Image v2 API: images, data upload, and downloads to a local path with checksum
 * verification (what nova-compute and cinder-volume use to fetch an image). Within a traced request,
 * a download records FLOW.md step 20 and sends the trace id as the global request id, so glance's
 * steps 21–27 land in the same trace.
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { text } from 'node:stream/consumers';
import { OpenStackError, ServiceUnavailable } from '@strata/errors';
import type { Trace } from '@strata/trace';
import { requestJson } from './http-client.js';

/** An image as glance shows it (core attributes; custom properties are extra keys). */
export interface ImageRecord {
  readonly id: string;
  readonly name: string | null;
  readonly status: string;
  readonly visibility: string;
  readonly protected: boolean;
  readonly size: number | null;
  readonly virtual_size: number | null;
  readonly checksum: string | null;
  readonly os_hash_algo: string | null;
  readonly os_hash_value: string | null;
  readonly disk_format: string | null;
  readonly container_format: string | null;
  readonly owner: string | null;
  readonly min_disk: number;
  readonly min_ram: number;
  readonly tags: readonly string[];
  readonly [property: string]: unknown;
}

/** A JSON-patch operation (RFC 6902 as glance's v2.1 media type takes it). */
export interface ImagePatchOp {
  readonly op: 'add' | 'replace' | 'remove';
  readonly path: string;
  readonly value?: unknown;
}

/** Per-call options. */
export interface ImageCallOptions {
  /** Passed as X-OpenStack-Request-Id so glance logs and traces the call under it. */
  readonly globalRequestId?: string;
  readonly signal?: AbortSignal;
}

/** Options of downloadToPath. */
export interface DownloadOptions extends ImageCallOptions {
  /** Record step 20 here; its id becomes the global request id. */
  readonly trace?: Trace;
  /** Who is asking, for the trace. @default 'nova-compute' */
  readonly component?: string;
}

/** What a verified download wrote. */
export interface DownloadResult {
  readonly path: string;
  readonly size: number;
  /** The algorithm verified (`sha512` when glance has a multihash, else `md5`) and its digest. */
  readonly verifiedWith: string;
  readonly digest: string;
}

/** The data of an image being downloaded. */
export interface ImageDataDownload {
  readonly stream: Readable;
  /** Content-Length, when sent. */
  readonly size: number | undefined;
  /** Content-MD5 (glance's hex md5), when sent. */
  readonly contentMd5: string | undefined;
}

/** Thrown when downloaded data does not match the image's checksum; nothing is left at the path. */
export class ImageChecksumMismatch extends OpenStackError {
  constructor(imageId: string, algo: string, expected: string, actual: string) {
    super(502, 'ImageChecksumMismatch', `Image ${imageId} data failed verification: ${algo} ${actual} does not match ${expected}.`, { imageId, algo, expected, actual });
  }
}

const REQUEST_ID = /^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

class Hashing extends Transform {
  readonly hash: Hash;
  size = 0;
  constructor(algo: string) {
    super({ highWaterMark: 4 * 1024 * 1024 });
    this.hash = createHash(algo);
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    this.hash.update(chunk);
    done(null, chunk);
  }
}

function messageOf(text: string, fallback: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown };
    if (typeof body.message === 'string') return body.message;
  } catch {
    // not JSON: use the fallback
  }
  return fallback;
}

/** Talks to one glance at its unversioned endpoint (`http://host:9292`). */
export class ImageClient {
  readonly #base: string;
  readonly #timeoutMs: number;

  constructor(endpoint: string, timeoutMs = 30_000) {
    this.#base = endpoint.replace(/\/+$/, '').replace(/\/v2$/, '');
    this.#timeoutMs = timeoutMs;
  }

  #headers(token: string, opts: ImageCallOptions, extra: Record<string, string> = {}): Record<string, string> {
    const h: Record<string, string> = { 'x-auth-token': token, ...extra };
    if (opts.globalRequestId !== undefined && REQUEST_ID.test(opts.globalRequestId)) h['x-openstack-request-id'] = opts.globalRequestId;
    return h;
  }

  /** A JSON request whose body is not application/json (a JSON patch); errors as OpenStackErrors. */
  async #fetch(method: string, path: string, init: { headers: Record<string, string>; body: string; signal?: AbortSignal }): Promise<Response> {
    const url = `${this.#base}${path}`;
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    let res: Response;
    try {
      res = await fetch(url, { method, headers: init.headers, body: init.body, signal: init.signal === undefined ? timeout : AbortSignal.any([timeout, init.signal]) });
    } catch (err) {
      throw new ServiceUnavailable(`${method} ${url} failed: ${(err as Error).message}`, { url }, 'ServiceUnreachable', { cause: err });
    }
    if (res.status >= 400) {
      const body = await res.text();
      throw new OpenStackError(res.status, `HTTP${res.status}`, messageOf(body, `${method} ${url} returned ${res.status}`), { url });
    }
    return res;
  }

  /** GET /v2/images/{id}. */
  async getImage(token: string, id: string, opts: ImageCallOptions = {}): Promise<ImageRecord> {
    return (await requestJson<ImageRecord>(`${this.#base}/v2/images/${encodeURIComponent(id)}`, { headers: this.#headers(token, opts), timeoutMs: this.#timeoutMs, ...(opts.signal !== undefined ? { signal: opts.signal } : {}) })).body;
  }

  /** GET /v2/images with filters, following `next` links to the end. */
  async listImages(token: string, query: Readonly<Record<string, string>> = {}, opts: ImageCallOptions = {}): Promise<ImageRecord[]> {
    const out: ImageRecord[] = [];
    const qs = new URLSearchParams(query).toString();
    let next: string | undefined = `/v2/images${qs === '' ? '' : `?${qs}`}`;
    while (next !== undefined) {
      const res: { body: { images: ImageRecord[]; next?: string } } = await requestJson<{ images: ImageRecord[]; next?: string }>(`${this.#base}${next}`, { headers: this.#headers(token, opts), timeoutMs: this.#timeoutMs });
      out.push(...res.body.images);
      next = res.body.next;
    }
    return out;
  }

  /** POST /v2/images: a queued image. */
  async createImage(token: string, attrs: Readonly<Record<string, unknown>>, opts: ImageCallOptions = {}): Promise<ImageRecord> {
    return (await requestJson<ImageRecord>(`${this.#base}/v2/images`, { method: 'POST', body: attrs, headers: this.#headers(token, opts), timeoutMs: this.#timeoutMs })).body;
  }

  /** PATCH /v2/images/{id} with a v2.1 JSON patch. */
  async updateImage(token: string, id: string, ops: readonly ImagePatchOp[], opts: ImageCallOptions = {}): Promise<ImageRecord> {
    const res = await this.#fetch('PATCH', `/v2/images/${encodeURIComponent(id)}`, {
      headers: this.#headers(token, opts, { 'content-type': 'application/openstack-images-v2.1-json-patch', accept: 'application/json' }),
      body: JSON.stringify(ops),
      ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
    });
    return (await res.json()) as ImageRecord;
  }

  /** DELETE /v2/images/{id}. */
  async deleteImage(token: string, id: string, opts: ImageCallOptions = {}): Promise<void> {
    await requestJson(`${this.#base}/v2/images/${encodeURIComponent(id)}`, { method: 'DELETE', headers: this.#headers(token, opts), timeoutMs: this.#timeoutMs });
  }

  /**
   * One streamed request with node:http (image data does not go through fetch's web streams,
   * which cost several times more CPU per byte). Resolves to the response once its headers
   * arrived; a status >= 400 throws an OpenStackError with glance's message.
   */
  async #stream(method: string, path: string, headers: Record<string, string>, body: Readable | undefined, signal: AbortSignal | undefined): Promise<IncomingMessage> {
    const url = new URL(`${this.#base}${path}`);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    let res: IncomingMessage;
    try {
      res = await new Promise<IncomingMessage>((resolve, reject) => {
        const req = send(url, { method, headers: { ...headers, ...(body !== undefined ? { 'transfer-encoding': 'chunked' } : {}) }, ...(signal !== undefined ? { signal } : {}) }, resolve);
        req.once('error', reject);
        if (body === undefined) req.end();
        else pipeline(body, req).catch(reject);
      });
    } catch (err) {
      throw new ServiceUnavailable(`${method} ${url.href} failed: ${(err as Error).message}`, { url: url.href }, 'ServiceUnreachable', { cause: err });
    }
    if ((res.statusCode ?? 500) >= 400) {
      const status = res.statusCode ?? 500;
      throw new OpenStackError(status, `HTTP${status}`, messageOf(await text(res), `${method} ${url.href} returned ${status}`), { url: url.href });
    }
    return res;
  }

  /** PUT /v2/images/{id}/file: stream `data` (a Readable or a file path) without buffering it. */
  async uploadData(token: string, id: string, data: Readable | string, opts: ImageCallOptions = {}): Promise<void> {
    const stream = typeof data === 'string' ? createReadStream(data, { highWaterMark: 1024 * 1024 }) : data;
    const res = await this.#stream('PUT', `/v2/images/${encodeURIComponent(id)}/file`, this.#headers(token, opts, { 'content-type': 'application/octet-stream' }), stream, opts.signal);
    res.resume();
  }

  /** GET /v2/images/{id}/file as a stream; throws when the image has no data (204). */
  async openDownload(token: string, id: string, opts: ImageCallOptions = {}): Promise<ImageDataDownload> {
    const res = await this.#stream('GET', `/v2/images/${encodeURIComponent(id)}/file`, this.#headers(token, opts), undefined, opts.signal);
    if (res.statusCode === 204) {
      res.resume();
      throw new OpenStackError(409, 'ImageHasNoData', `Image ${id} has no data.`, { imageId: id });
    }
    const length = res.headers['content-length'];
    const md5 = res.headers['content-md5'];
    return { stream: res, size: length === undefined ? undefined : Number(length), contentMd5: typeof md5 === 'string' ? md5 : undefined };
  }

  /**
   * Download an image's data to `path`, verifying it against the image's multihash (or its MD5
   * when glance has none). Writes to a temporary file next to `path` and renames it into place,
   * so `path` holds either nothing new or the whole verified image. Throws ImageChecksumMismatch.
   */
  async downloadToPath(token: string, id: string, path: string, opts: DownloadOptions = {}): Promise<DownloadResult> {
    const trace = opts.trace;
    const callOpts: ImageCallOptions = { ...(opts.signal !== undefined ? { signal: opts.signal } : {}), globalRequestId: opts.globalRequestId ?? trace?.id ?? '' };
    const started = Date.now();
    const temp = join(dirname(path), `.${basename(path)}.part-${randomBytes(6).toString('hex')}`);
    try {
      const image = await this.getImage(token, id, callOpts);
      const algo = image.os_hash_value !== null && image.os_hash_algo !== null ? image.os_hash_algo : 'md5';
      const expected = algo === 'md5' ? image.checksum : image.os_hash_value;
      if (expected === null) throw new OpenStackError(409, 'ImageHasNoData', `Image ${id} has no data (status ${image.status}).`, { imageId: id });
      const download = await this.openDownload(token, id, callOpts);
      const hashing = new Hashing(algo);
      await pipeline(download.stream, hashing, createWriteStream(temp, { mode: 0o600, highWaterMark: 4 * 1024 * 1024 }), ...(opts.signal !== undefined ? [{ signal: opts.signal }] : []));
      const digest = hashing.hash.digest('hex');
      if (digest !== expected) throw new ImageChecksumMismatch(id, algo, expected, digest);
      if (image.size !== null && (await stat(temp)).size !== image.size) throw new ImageChecksumMismatch(id, 'size', String(image.size), String(hashing.size));
      await rename(temp, path);
      trace?.record({ step: 20, component: opts.component ?? 'nova-compute', kind: 'http', startedAt: started, durationMs: Date.now() - started, outcome: 'ok', detail: `image ${id} fetched from glance-api (${hashing.size} bytes, ${algo} verified)` });
      return { path, size: hashing.size, verifiedWith: algo, digest };
    } catch (err) {
      await rm(temp, { force: true });
      trace?.record({ step: 20, component: opts.component ?? 'nova-compute', kind: 'http', startedAt: started, durationMs: Date.now() - started, outcome: 'error', detail: (err as Error).message });
      throw err;
    }
  }
}
