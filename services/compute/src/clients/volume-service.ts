/** What nova needs from cinder (Block Storage v3 over REST): volumes and the attachments API. */
import { setTimeout as sleep } from 'node:timers/promises';
import { OpenStackError } from '@strata/errors';
import { requestJson } from '@strata/clients';
import { onBehalfOf, type ServiceCatalog } from './service-catalog.js';

/** A volume as nova reads it. */
export interface VolumeMeta {
  readonly id: string;
  readonly status: string;
  readonly size: number;
  readonly multiattach: boolean;
  readonly bootable: boolean;
}

const MICROVERSION = { 'openstack-api-version': 'volume 3.44' };

/** Cinder as nova uses it; `available` is false when the catalog has no block-storage service. */
export class VolumeService {
  readonly #catalog: ServiceCatalog;
  constructor(catalog: ServiceCatalog) {
    this.#catalog = catalog;
  }

  async #base(token: string, projectId: string): Promise<string | undefined> {
    const url = await this.#catalog.endpoint(token, 'block-storage', 'volumev3', 'volume');
    if (url === undefined) return undefined;
    // NOTE: a catalog URL may carry some project's id (the bootstrap admin's); calls are made in the
    // caller's project, as keystoneauth does for a templated endpoint.
    const filled = url.replace(/%\(project_id\)s|\$\(project_id\)s|\{project_id\}/g, projectId).replace(/\/v3\/[0-9a-f]{32}$/, '/v3');
    return /\/v3$/.test(filled) ? `${filled}/${projectId}` : filled;
  }

  async available(token: string, projectId: string): Promise<boolean> {
    return (await this.#base(token, projectId)) !== undefined;
  }

  /** Any Block Storage v3 call in the project (for nova's deprecated os-volumes proxy); errors keep cinder's status. */
  raw<T>(token: string, projectId: string, method: string, path: string, body?: unknown, requestId?: string): Promise<T> {
    return this.#req<T>(token, projectId, path, { method, ...(body !== undefined ? { body } : {}) }, requestId);
  }

  async #req<T>(token: string, projectId: string, path: string, opts: { method?: string; body?: unknown } = {}, requestId?: string): Promise<T> {
    const base = await this.#base(token, projectId);
    if (base === undefined) throw new OpenStackError(400, 'VolumeServiceUnavailable', 'Block Device Mapping is Invalid: no volume service is available.');
    const res = await requestJson<T>(`${base}${path}`, { ...opts, headers: { ...onBehalfOf(token, requestId), ...MICROVERSION } });
    return res.body;
  }

  async find(token: string, projectId: string, id: string, requestId?: string): Promise<VolumeMeta | undefined> {
    try {
      const b = await this.#req<{ volume: { id: string; status: string; size: number; multiattach?: boolean; bootable?: unknown } }>(token, projectId, `/volumes/${encodeURIComponent(id)}`, {}, requestId);
      return { id: b.volume.id, status: b.volume.status, size: Number(b.volume.size), multiattach: b.volume.multiattach === true, bootable: b.volume.bootable === true || b.volume.bootable === 'true' };
    } catch (err) {
      if (err instanceof OpenStackError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** Create a volume and wait until it is available (or error). */
  async createAndWait(token: string, projectId: string, req: { size: number; name: string; imageRef?: string; volumeType?: string; availabilityZone?: string }, timeoutMs: number, requestId?: string): Promise<VolumeMeta> {
    const b = await this.#req<{ volume: { id: string } }>(
      token,
      projectId,
      '/volumes',
      { method: 'POST', body: { volume: { size: req.size, name: req.name, ...(req.imageRef !== undefined ? { imageRef: req.imageRef } : {}), ...(req.volumeType !== undefined ? { volume_type: req.volumeType } : {}) } } },
      requestId,
    );
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await this.find(token, projectId, b.volume.id, requestId);
      if (v?.status === 'available') return v;
      if (v === undefined || v.status === 'error' || Date.now() > deadline) throw new Error(`volume ${b.volume.id} did not become available (status ${v?.status ?? 'gone'})`);
      await sleep(50);
    }
  }

  /** Create an attachment with this host's connector and complete it; returns the attachment id and connection info. */
  async attach(token: string, projectId: string, volumeId: string, instanceId: string, host: string, requestId?: string): Promise<{ attachmentId: string; connection: Record<string, unknown> }> {
    const connector = { host, initiator: `iqn.2026-01.strata:${host}`, platform: 'x86_64', os_type: 'linux', multipath: false };
    const created = await this.#req<{ attachment: { id: string; connection_info?: Record<string, unknown> } }>(
      token,
      projectId,
      '/attachments',
      { method: 'POST', body: { attachment: { volume_uuid: volumeId, instance_uuid: instanceId, connector, mode: 'rw' } } },
      requestId,
    );
    await this.#req(token, projectId, `/attachments/${created.attachment.id}/action`, { method: 'POST', body: { 'os-complete': null } }, requestId);
    return { attachmentId: created.attachment.id, connection: created.attachment.connection_info ?? {} };
  }

  /** The connection info cinder keeps for an attachment (what a respawned guest opens its volume with). */
  async connection(token: string, projectId: string, attachmentId: string, requestId?: string): Promise<Record<string, unknown>> {
    const shown = await this.#req<{ attachment: { connection_info?: Record<string, unknown> | null } }>(token, projectId, `/attachments/${attachmentId}`, { method: 'GET' }, requestId);
    return shown.attachment.connection_info ?? {};
  }

  /** Delete an attachment (detaches the volume); a missing one is fine. */
  async detach(token: string, projectId: string, attachmentId: string, requestId?: string): Promise<void> {
    try {
      await this.#req(token, projectId, `/attachments/${attachmentId}`, { method: 'DELETE' }, requestId);
    } catch (err) {
      if (!(err instanceof OpenStackError && err.status === 404)) throw err;
    }
  }

  async delete(token: string, projectId: string, volumeId: string, requestId?: string): Promise<void> {
    try {
      await this.#req(token, projectId, `/volumes/${volumeId}`, { method: 'DELETE' }, requestId);
    } catch (err) {
      if (!(err instanceof OpenStackError && err.status === 404)) throw err;
    }
  }
}
