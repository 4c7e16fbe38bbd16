/** Volume (and attachment) JSON exactly as cinder renders it per microversion, with its extension attributes. */
import type { Attachment } from '../objects/attachment.js';
import type { Volume } from '../objects/volume.js';
import type { VolumeType } from '../objects/volume-type.js';
import { cinderTime, nextLinks, resourceLinks, type ViewContext } from './view-helpers.js';

/** Lookups a volume view needs besides the volume. */
export interface VolumeViewData {
  readonly types: ReadonlyMap<string, VolumeType>;
  readonly attachments: ReadonlyMap<string, readonly Attachment[]>;
}

/** Statuses cinder shows under another name (managing states). */
const STATUS_MAP: Readonly<Record<string, string>> = { managing: 'creating', error_managing: 'error', error_managing_deleting: 'deleting' };

/** The admin metadata cinder shows inside `metadata` (utils.add_visible_admin_metadata). */
function visibleAdminMetadata(v: Volume): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of ['readonly', 'attached_mode']) {
    const value = v.adminMetadata[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** `{id, name, links}`. */
export function volumeSummary(v: Volume, vc: ViewContext): Record<string, unknown> {
  return { id: v.id, name: v.name, links: resourceLinks(vc, 'volumes', v.id) };
}

/** The `attachments` list of a volume: attached ones only, host names for admins and services. */
export function volumeAttachments(v: Volume, attachments: readonly Attachment[], vc: ViewContext): Array<Record<string, unknown>> {
  return attachments
    .filter((a) => a.attachStatus === 'attached')
    .map((a) => ({
      id: v.id,
      attachment_id: a.id,
      volume_id: v.id,
      server_id: a.instanceUuid,
      host_name: vc.isAdmin || vc.isService ? a.attachedHost : null,
      device: a.mountpoint,
      attached_at: cinderTime(a.attachTime),
    }));
}

/** The detailed view (GET /volumes/{id}, /volumes/detail, create and update responses). */
export function volumeDetail(v: Volume, vc: ViewContext, data: VolumeViewData, options: { extensions?: boolean } = {}): Record<string, unknown> {
  const type = data.types.get(v.volumeTypeId);
  const version = vc.version;
  const out: Record<string, unknown> = {
    id: v.id,
    status: STATUS_MAP[v.status] ?? v.status,
    size: v.size,
    availability_zone: v.availabilityZone,
    created_at: cinderTime(v.createdAt),
    updated_at: cinderTime(v.updatedAt),
    name: v.name,
    description: v.description,
    volume_type: type?.name ?? (version.atLeast('3.63') ? null : v.volumeTypeId),
    snapshot_id: v.snapshotId,
    source_volid: v.sourceVolid,
    metadata: { ...v.metadata, ...visibleAdminMetadata(v) },
    links: resourceLinks(vc, 'volumes', v.id),
    user_id: v.userId,
    bootable: v.bootable ? 'true' : 'false',
    encrypted: v.encryptionKeyId !== null,
    replication_status: v.replicationStatus,
    consistencygroup_id: null,
    multiattach: v.multiattach,
    attachments: volumeAttachments(v, data.attachments.get(v.id) ?? [], vc),
  };
  if (vc.isAdmin) out.migration_status = v.migrationStatus;
  if (version.atLeast('3.13')) out.group_id = v.groupId;
  if (vc.isAdmin && version.atLeast('3.21')) out.provider_id = v.providerId;
  if (version.atLeast('3.48')) {
    out.shared_targets = version.atLeast('3.69') ? false : false;
    out.service_uuid = v.serviceUuid;
  }
  if (vc.isAdmin && version.atLeast('3.61')) out.cluster_name = null;
  if (version.atLeast('3.63')) out.volume_type_id = v.volumeTypeId;
  if (version.atLeast('3.64') && v.encryptionKeyId !== null) out.encryption_key_id = v.encryptionKeyId;
  if (version.atLeast('3.65')) out.consumes_quota = v.useQuota;
  if (options.extensions !== false) {
    // The contrib extensions cinder adds to show and detail (not to create and update responses).
    out['os-vol-tenant-attr:tenant_id'] = v.projectId;
    if (vc.isAdmin) {
      out['os-vol-host-attr:host'] = v.host;
      out['os-vol-mig-status-attr:migstat'] = v.migrationStatus;
      out['os-vol-mig-status-attr:name_id'] = null;
    }
    if (Object.keys(v.imageMetadata).length > 0) out.volume_image_metadata = { ...v.imageMetadata };
  }
  return out;
}

/** A list body: `volumes`, `volumes_links` when the page is full, `count` from 3.45 with `with_count`. */
export function volumeList(items: Array<Record<string, unknown> & { id: string }>, vc: ViewContext, opts: { detail: boolean; limit: number; count?: number | undefined }): Record<string, unknown> {
  const out: Record<string, unknown> = { volumes: items };
  const links = nextLinks(vc, opts.detail ? 'volumes/detail' : 'volumes', items, opts.limit);
  if (links.length > 0) out.volumes_links = links;
  if (opts.count !== undefined && vc.version.atLeast('3.45')) out.count = opts.count;
  return out;
}

/** An attachment of the attachments API (3.27): summary or detail. */
export function attachmentView(a: Attachment, detail: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { id: a.id, status: a.attachStatus, instance: a.instanceUuid, volume_id: a.volumeId };
  if (!detail) return out;
  return {
    ...out,
    attached_at: a.attachTime === null ? '' : cinderTime(a.attachTime),
    detached_at: a.detachTime === null ? '' : cinderTime(a.detachTime),
    attach_mode: a.attachMode,
    connection_info: a.connectionInfo,
  };
}
