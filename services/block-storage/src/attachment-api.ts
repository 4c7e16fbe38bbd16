/**
 * Attaching volumes: the legacy actions (os-reserve, os-attach, os-initialize_connection ...) and
 * the attachments API of 3.27+ that nova uses (create → update with connector → os-complete → delete).
 */
import { randomUUID } from 'node:crypto';
import type { RequestContext } from '@strata/auth';
import { nowIso } from '@strata/db';
import { BadRequest, Conflict } from '@strata/errors';
import type { ConnectionInfo, Connector } from '@strata/volume';
import { isUuidLike, visibleTo } from './api-support.js';
import { AttachmentNotFound, type Attachment } from './objects/attachment.js';
import type { Volume } from './objects/volume.js';
import { legacyAttachmentId, type VolumeApi } from './volume-api.js';

/** Attach and detach flows over a VolumeApi. */
export class AttachmentApi {
  readonly #api: VolumeApi;

  constructor(api: VolumeApi) {
    this.#api = api;
  }

  /** os-reserve: available (or in-use when multiattach) → attaching. */
  async reserve(ctx: RequestContext, id: string): Promise<void> {
    const v = await this.#api.get(ctx, id);
    const expected = v.multiattach ? ['available', 'in-use'] : ['available'];
    if (!(await this.#api.volumes.update(v.id, { status: 'attaching' }, { status: expected }))) {
      throw new BadRequest(`Invalid volume: Volume status must be ${expected.join(' or ')} to reserve, but the status is ${v.status}.`, { volumeId: v.id }, 'InvalidVolume');
    }
  }

  /** os-unreserve: attaching → in-use when it has attachments, else available. */
  async unreserve(ctx: RequestContext, id: string): Promise<void> {
    const v = await this.#api.get(ctx, id);
    const attached = (await this.#api.attachments.list({ volumeId: v.id })).some((a) => a.attachStatus === 'attached');
    await this.#api.volumes.update(v.id, { status: attached ? 'in-use' : 'available' }, { status: ['attaching'] });
  }

  /** os-begin_detaching: in-use and attached → detaching. */
  async beginDetaching(ctx: RequestContext, id: string): Promise<void> {
    const v = await this.#api.get(ctx, id);
    if (!(await this.#api.volumes.update(v.id, { status: 'detaching' }, { status: ['in-use'], attachStatus: ['attached'] }))) {
      throw new BadRequest("Invalid volume: Unable to detach volume. Volume status must be 'in-use' and attach_status must be 'attached' to detach.", { volumeId: v.id }, 'InvalidVolume');
    }
  }

  /** os-roll_detaching: detaching → in-use. */
  async rollDetaching(ctx: RequestContext, id: string): Promise<void> {
    const v = await this.#api.get(ctx, id);
    await this.#api.volumes.update(v.id, { status: 'in-use' }, { status: ['detaching'] });
  }

  /** os-attach: record an attachment (instance or host) as attached; the volume becomes in-use. */
  async attach(ctx: RequestContext, id: string, body: { instanceUuid: string | null; hostName: string | null; mountpoint: string; mode: string }): Promise<void> {
    const v = await this.#api.get(ctx, id);
    if (v.status === 'maintenance') throw new BadRequest('Invalid volume: The volume cannot be attached in maintenance mode.', {}, 'InvalidVolume');
    if (v.adminMetadata.readonly === 'True' && body.mode !== 'ro') throw new BadRequest(`Invalid attaching mode '${body.mode}' for volume ${v.id}.`, {}, 'InvalidVolumeAttachMode');
    const allowed = v.multiattach ? ['available', 'attaching', 'in-use', 'reserved'] : ['available', 'attaching', 'reserved'];
    if (!allowed.includes(v.status)) throw new BadRequest(`Invalid volume: Volume ${v.id} status must be available or attaching to attach, but it is ${v.status}.`, {}, 'InvalidVolume');
    const existing = (await this.#api.attachments.list({ volumeId: v.id })).find((a) => (a.attachStatus === 'attaching' || a.attachStatus === 'reserved') && (a.instanceUuid === body.instanceUuid || body.instanceUuid === null));
    const attachmentId = existing?.id ?? randomUUID();
    if (existing === undefined) {
      await this.#api.attachments.create({ id: attachmentId, volumeId: v.id, projectId: v.projectId, instanceUuid: body.instanceUuid, attachedHost: body.hostName, mountpoint: body.mountpoint, attachStatus: 'attached', attachMode: body.mode });
    }
    await this.#api.attachments.update(attachmentId, { attachStatus: 'attached', mountpoint: body.mountpoint, attachedHost: body.hostName, instanceUuid: body.instanceUuid, attachTime: nowIso(), attachMode: body.mode });
    await this.#api.volumes.update(v.id, { status: 'in-use', attach_status: 'attached' });
    await this.#api.setAttachedMode(v.id, body.mode);
  }

  /** os-detach: remove one attachment (the only one, or the one named); in-use → available when none remain. */
  async detach(ctx: RequestContext, id: string, attachmentId: string | null): Promise<void> {
    const v = await this.#api.get(ctx, id);
    if (v.status === 'maintenance') throw new BadRequest('Invalid volume: The volume cannot be detached in maintenance mode.', {}, 'InvalidVolume');
    const all = await this.#api.attachments.list({ volumeId: v.id });
    let target: Attachment | undefined;
    if (attachmentId !== null) target = all.find((a) => a.id === attachmentId);
    else if (all.length === 1) target = all[0];
    else if (all.length > 1) throw new BadRequest('Invalid volume: Volume has more than one attachment; an attachment_id is required.', {}, 'InvalidVolume');
    if (target === undefined) {
      if (attachmentId !== null) throw new BadRequest(`Error detaching volume - VolumeAttachmentNotFound: attachment ${attachmentId} not found.`, {}, 'VolumeAttachmentNotFound');
      // Nothing attached: make the volume consistent, as cinder's detach of a detached volume does.
      await this.#api.volumes.update(v.id, { status: 'available', attach_status: 'detached' }, { status: ['in-use', 'detaching'] });
      return;
    }
    await this.#api.terminateConnection(ctx, v, target.id).catch(() => undefined);
    await this.#finishDetach(v, target.id);
  }

  /** os-initialize_connection (legacy): connection info for a connector, from the volume's backend. */
  async initializeConnection(ctx: RequestContext, id: string, connector: Connector): Promise<ConnectionInfo & { data: Record<string, unknown> }> {
    const v = await this.#api.get(ctx, id);
    if (v.status.startsWith('error') || v.status === 'creating') throw new BadRequest(`Invalid volume: Volume ${v.id} status ${v.status} does not allow connections.`, {}, 'InvalidVolume');
    const info = await this.#api.initializeConnection(ctx, v, connector, legacyAttachmentId(v.id, connector));
    return { driver_volume_type: info.driver_volume_type, data: { ...info.data } };
  }

  /** os-terminate_connection (legacy). */
  async terminateConnection(ctx: RequestContext, id: string, connector: Connector): Promise<void> {
    const v = await this.#api.get(ctx, id);
    await this.#api.terminateConnection(ctx, v, legacyAttachmentId(v.id, connector));
  }

  /** os-force_detach (admin): terminate the export and drop the attachment whatever its state. */
  async forceDetach(ctx: RequestContext, id: string, attachmentId: string | null, connector: Connector | null): Promise<void> {
    const v = await this.#api.get(ctx, id);
    const all = await this.#api.attachments.list({ volumeId: v.id });
    const targets = attachmentId === null ? all : all.filter((a) => a.id === attachmentId);
    if (attachmentId !== null && targets.length === 0) throw new BadRequest(`Unable to terminate volume connection: attachment ${attachmentId} not found.`, {}, 'VolumeAttachmentNotFound');
    if (connector !== null) await this.#api.terminateConnection(ctx, v, legacyAttachmentId(v.id, connector)).catch(() => undefined);
    for (const a of targets) {
      await this.#api.terminateConnection(ctx, v, a.id).catch(() => undefined);
      await this.#finishDetach(v, a.id, true);
    }
    if (targets.length === 0) await this.#api.volumes.update(v.id, { status: 'available', attach_status: 'detached' });
  }

  // ---- attachments API (3.27+) -------------------------------------------------------

  /** An attachment the caller may see; 404 otherwise. */
  async get(ctx: RequestContext, id: string): Promise<Attachment> {
    const a = isUuidLike(id) ? await this.#api.attachments.find(id) : undefined;
    if (a === undefined || !visibleTo(ctx, a.projectId)) throw new AttachmentNotFound(id);
    return a;
  }

  /** Attachments of the caller's project (or all, for an admin with all_tenants). */
  async list(ctx: RequestContext, filter: { volumeId?: string; instanceUuid?: string; status?: string; allTenants: boolean }): Promise<Attachment[]> {
    return this.#api.attachments.list({
      ...(ctx.isAdmin && filter.allTenants ? {} : { projectId: ctx.projectId ?? '' }),
      ...(filter.volumeId !== undefined ? { volumeId: filter.volumeId } : {}),
      ...(filter.instanceUuid !== undefined ? { instanceUuid: filter.instanceUuid } : {}),
      ...(filter.status !== undefined ? { status: filter.status } : {}),
    });
  }

  /** POST /attachments: reserve the volume, and with a connector initialize the connection too. */
  async create(ctx: RequestContext, body: { volumeId: string; instanceUuid: string | null; connector: Connector | null; mode: string }): Promise<Attachment> {
    const v = await this.#api.get(ctx, body.volumeId);
    if (v.status.includes('error')) throw new BadRequest(`Invalid volume: Volume attachments can not be created if the volume is in an error state. The Volume ${v.id} currently has a status of: ${v.status} `, {}, 'InvalidVolume');
    const expected = v.multiattach ? ['available', 'in-use', 'downloading'] : ['available', 'downloading'];
    if (!(await this.#api.volumes.update(v.id, { status: 'reserved' }, { status: expected }))) {
      const same = body.instanceUuid !== null && ['in-use', 'reserved'].includes(v.status) && (await this.#api.attachments.list({ volumeId: v.id })).some((a) => a.instanceUuid === body.instanceUuid);
      if (!same) throw new BadRequest(`Invalid volume: Volume ${v.id} status must be ${expected.join(' or ')} to reserve, but the current status is ${v.status}.`, { volumeId: v.id }, 'InvalidVolume');
    }
    const mode = v.adminMetadata.readonly === 'True' ? 'ro' : body.mode;
    const a = await this.#api.attachments.create({ id: randomUUID(), volumeId: v.id, projectId: v.projectId, instanceUuid: body.instanceUuid, attachedHost: null, mountpoint: null, attachStatus: 'reserved', attachMode: mode });
    if (body.connector !== null) return this.#connect(ctx, v, a, body.connector);
    return a;
  }

  /** PUT /attachments/{id}: initialize the connection for a connector. */
  async update(ctx: RequestContext, id: string, connector: Connector): Promise<Attachment> {
    const a = await this.get(ctx, id);
    const v = await this.#api.volumes.get(a.volumeId);
    if (v.status.includes('error')) throw new Conflict(`Volume attachments can not be updated if the volume is in an error state. The Volume ${v.id} currently has a status of: ${v.status} `, {}, 'ResourceConflict');
    return this.#connect(ctx, v, a, connector);
  }

  /** os-complete (3.44): attached, volume in-use. */
  async complete(ctx: RequestContext, id: string): Promise<void> {
    const a = await this.get(ctx, id);
    await this.#api.attachments.update(a.id, { attachStatus: 'attached', attachTime: a.attachTime ?? nowIso() });
    await this.#api.volumes.update(a.volumeId, { status: 'in-use', attach_status: 'attached' });
    await this.#api.setAttachedMode(a.volumeId, a.attachMode);
  }

  /** DELETE /attachments/{id}: tear down the export, drop the row; returns the volume's remaining attachments. */
  async delete(ctx: RequestContext, id: string): Promise<Attachment[]> {
    const a = await this.get(ctx, id);
    const v = await this.#api.volumes.get(a.volumeId);
    if (a.attachStatus !== 'reserved' && a.connector !== null) await this.#api.terminateConnection(ctx, v, a.id);
    await this.#finishDetach(v, a.id);
    return this.#api.attachments.list({ volumeId: v.id });
  }

  async #connect(ctx: RequestContext, v: Volume, a: Attachment, connector: Connector): Promise<Attachment> {
    const all = await this.#api.attachments.list({ volumeId: v.id });
    if (all.length > 1 && !v.multiattach) {
      const hosts = new Set(all.filter((x) => x.id !== a.id && x.connectionInfo !== null).map((x) => String(x.connector?.host ?? '')));
      if (hosts.size > 0) throw new Conflict(`duplicate connectors detected on volume ${v.id}`, {}, 'ResourceConflict');
    }
    const info = await this.#api.initializeConnection(ctx, v, connector, a.id);
    const mountpoint = typeof connector.mountpoint === 'string' ? connector.mountpoint : a.mountpoint;
    await this.#api.attachments.update(a.id, { connector: { ...connector }, connectionInfo: { ...info.data, driver_volume_type: info.driver_volume_type, attachment_id: a.id, enforce_multipath: connector.enforce_multipath === true }, attachStatus: 'attaching', attachedHost: typeof connector.host === 'string' ? connector.host : null, mountpoint });
    await this.#api.volumes.update(v.id, { status: 'attaching' }, { status: ['reserved'] });
    return this.#api.attachments.get(a.id);
  }

  async #finishDetach(v: Volume, attachmentId: string, force = false): Promise<void> {
    await this.#api.attachments.remove(attachmentId);
    const left = await this.#api.attachments.list({ volumeId: v.id });
    const attached = left.some((x) => x.attachStatus === 'attached');
    const from = force ? {} : { status: ['in-use', 'detaching', 'attaching', 'reserved', 'available', 'error_detaching'] };
    if (left.length === 0) await this.#api.volumes.update(v.id, { status: 'available', attach_status: 'detached' }, from);
    else await this.#api.volumes.update(v.id, { status: attached ? 'in-use' : 'reserved', attach_status: attached ? 'attached' : 'detached' });
  }
}
