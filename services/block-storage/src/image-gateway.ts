/**
 * glance as cinder-api sees it: the image endpoint from the user's catalog, and image records read,
 * created and deleted with the user's token through @strata/clients' ImageClient.
 */
import { BadRequest, OpenStackError, ServiceUnavailable, isOpenStackError } from '@strata/errors';
import { ImageClient, requestJson, type ImageRecord } from '@strata/clients';

/** The glance image fields cinder reads. */
export type GlanceImage = ImageRecord;

/** Reaches glance for one user request. */
export class ImageGateway {
  readonly #authUrl: string;
  readonly #timeoutMs: number;
  #cached: { url: string; until: number } | undefined;

  constructor(authUrl: string, timeoutMs = 30_000) {
    this.#authUrl = authUrl.replace(/\/+$/, '');
    this.#timeoutMs = timeoutMs;
  }

  /** glance's public endpoint (unversioned) from the caller's catalog; 400 when the cloud has none. */
  async endpoint(token: string): Promise<string> {
    const now = Date.now();
    if (this.#cached !== undefined && this.#cached.until > now) return this.#cached.url;
    const res = await requestJson<{ catalog: Array<{ type: string; endpoints: Array<{ interface: string; url: string }> }> }>(`${this.#authUrl}/auth/catalog`, { headers: { 'x-auth-token': token }, timeoutMs: this.#timeoutMs });
    const image = res.body.catalog.find((s) => s.type === 'image');
    const url = image?.endpoints.find((e) => e.interface === 'public')?.url ?? image?.endpoints[0]?.url;
    if (url === undefined) throw new BadRequest('The image service is not available in this cloud.', {}, 'ImageServiceUnavailable');
    const base = url.replace(/\/+$/, '').replace(/\/v2(\.\d+)?$/, '');
    this.#cached = { url: base, until: now + 60_000 };
    return base;
  }

  async #client(token: string): Promise<ImageClient> {
    return new ImageClient(await this.endpoint(token), this.#timeoutMs);
  }

  /** The image record; 400 "Invalid image identifier" when glance does not show it to the user (cinder's behaviour). */
  async getImage(token: string, imageId: string, globalRequestId?: string): Promise<GlanceImage> {
    const client = await this.#client(token);
    try {
      return await client.getImage(token, imageId, globalRequestId !== undefined ? { globalRequestId } : {});
    } catch (err) {
      if (isOpenStackError(err) && (err.status === 404 || err.status === 403 || err.status === 400)) {
        throw new BadRequest('Invalid image identifier or unable to access requested image.', { imageId }, 'ImageNotFound');
      }
      throw err;
    }
  }

  /** Create an image record (for os-volume_upload_image). */
  async createImage(token: string, body: Readonly<Record<string, unknown>>, globalRequestId?: string): Promise<GlanceImage> {
    const client = await this.#client(token);
    try {
      return await client.createImage(token, body, globalRequestId !== undefined ? { globalRequestId } : {});
    } catch (err) {
      if (isOpenStackError(err) && err.status < 500) throw new BadRequest(`Creating the image failed: ${err.message}`, {}, 'ImageCreateFailed');
      throw err instanceof OpenStackError ? err : new ServiceUnavailable('The image service failed.', {}, 'ImageServiceUnavailable', { cause: err });
    }
  }

  /** Delete an image, ignoring one that is already gone. */
  async deleteImage(token: string, imageId: string): Promise<void> {
    const client = await this.#client(token);
    try {
      await client.deleteImage(token, imageId);
    } catch (err) {
      if (!isOpenStackError(err) || err.status !== 404) throw err;
    }
  }
}
