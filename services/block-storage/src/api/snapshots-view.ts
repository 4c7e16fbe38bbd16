/** Snapshot JSON as cinder renders it per microversion. */
import type { Snapshot } from '../objects/snapshot.js';
import { cinderTime, nextLinks, type ViewContext } from './view-helpers.js';

/** The summary (index, create, update): no extension attributes. */
export function snapshotSummary(s: Snapshot, vc: ViewContext): Record<string, unknown> & { id: string } {
  const out: Record<string, unknown> & { id: string } = {
    id: s.id,
    created_at: cinderTime(s.createdAt),
    updated_at: cinderTime(s.updatedAt),
    name: s.name,
    description: s.description,
    volume_id: s.volumeId,
    status: s.status,
    size: s.volumeSize,
    metadata: { ...s.metadata },
  };
  if (vc.version.atLeast('3.14')) out.group_snapshot_id = s.groupSnapshotId;
  if (vc.version.atLeast('3.41')) out.user_id = s.userId;
  if (vc.version.atLeast('3.65')) out.consumes_quota = s.useQuota;
  return out;
}

/** The detail (show, detail list): the summary plus os-extended-snapshot-attributes. */
export function snapshotDetail(s: Snapshot, vc: ViewContext): Record<string, unknown> & { id: string } {
  return { ...snapshotSummary(s, vc), 'os-extended-snapshot-attributes:progress': s.progress, 'os-extended-snapshot-attributes:project_id': s.projectId };
}

/** A list body with `snapshots_links` when the page is full, `count` with `with_count`. */
export function snapshotList(items: Array<Record<string, unknown> & { id: string }>, vc: ViewContext, opts: { detail: boolean; limit: number; count?: number | undefined }): Record<string, unknown> {
  const out: Record<string, unknown> = { snapshots: items };
  const links = nextLinks(vc, opts.detail ? 'snapshots/detail' : 'snapshots', items, opts.limit);
  if (links.length > 0) out.snapshots_links = links;
  if (opts.count !== undefined) out.count = opts.count;
  return out;
}
