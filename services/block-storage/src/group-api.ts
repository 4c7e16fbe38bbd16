/**
 * GroupApi: generic volume groups (cinder/group/api.py). Groups are bookkeeping over volumes that
 * are scheduled one by one, so group operations finish at the API; group snapshots are member
 * snapshots taken through the volumes' backends.
 */
import type { RequestContext } from '@strata/auth';
import { BadRequest } from '@strata/errors';
import { isUuidLike, visibleTo } from './api-support.js';
import { GroupNotFound, GroupSnapshotNotFound, GroupStore, type Group, type GroupSnapshot } from './objects/group.js';
import type { Snapshot } from './objects/snapshot.js';
import type { SnapshotApi } from './snapshot-api.js';
import type { VolumeApi } from './volume-api.js';

/** Statuses reset_status accepts for groups and group snapshots. */
export const GROUP_STATUSES = ['available', 'error', 'creating', 'deleting', 'updating', 'in-use', 'error_deleting', 'deleted'];

/** Business rules for groups and group snapshots. */
export class GroupApi {
  readonly store: GroupStore;
  readonly #volumes: VolumeApi;
  readonly #snapshots: SnapshotApi;

  constructor(store: GroupStore, volumes: VolumeApi, snapshots: SnapshotApi) {
    this.store = store;
    this.#volumes = volumes;
    this.#snapshots = snapshots;
  }

  /** The group if the caller may see it; 404 otherwise. */
  async get(ctx: RequestContext, id: string): Promise<Group> {
    const g = isUuidLike(id) ? await this.store.findGroup(id) : undefined;
    if (g === undefined || !visibleTo(ctx, g.projectId)) throw new GroupNotFound(id);
    return g;
  }

  /** Volume ids of a group. */
  async volumeIds(groupId: string): Promise<string[]> {
    return (await this.#volumes.volumes.list({ groupId })).map((v) => v.id);
  }

  /** POST /groups: a group type and the volume types its volumes may have. */
  async create(ctx: RequestContext, req: { name: string | null; description: string | null; groupType: string; volumeTypes: readonly string[]; availabilityZone: string | undefined }): Promise<Group> {
    const type = await this.store.getType(req.groupType);
    if (req.volumeTypes.length === 0) throw new BadRequest('Invalid input received: volume_types must be provided to create group.', {}, 'InvalidInput');
    const typeIds: string[] = [];
    for (const t of req.volumeTypes) typeIds.push((await this.#volumes.types.getByIdOrName(t)).id);
    const az = req.availabilityZone ?? this.#volumes.config.defaultAvailabilityZone;
    if (!(await this.#volumes.availabilityZones()).some((z) => z.name === az)) throw new BadRequest(`Invalid input received: Availability zone '${az}' is invalid.`, {}, 'InvalidAvailabilityZone');
    return this.store.createGroup({ projectId: ctx.projectId ?? '', userId: ctx.userId, name: req.name, description: req.description, status: 'available', availabilityZone: az, groupTypeId: type.id, volumeTypeIds: typeIds });
  }

  /** PUT /groups/{id}: rename, describe, add and remove volumes. */
  async update(ctx: RequestContext, id: string, req: { name?: string | null; description?: string | null; addVolumes: readonly string[]; removeVolumes: readonly string[] }): Promise<void> {
    const g = await this.get(ctx, id);
    if (g.status !== 'available') throw new BadRequest(`Invalid group: Group ${g.id} status must be available, but current status is: ${g.status}.`, {}, 'InvalidGroup');
    for (const volumeId of req.addVolumes) {
      const v = await this.#volumes.get(ctx, volumeId);
      if (v.groupId !== null && v.groupId !== g.id) throw new BadRequest(`Invalid volume: Volume ${v.id} is already in a group.`, {}, 'InvalidVolume');
      if (!g.volumeTypeIds.includes(v.volumeTypeId)) throw new BadRequest(`Invalid volume: Volume ${v.id}'s type is not supported by group ${g.id}.`, {}, 'InvalidVolume');
      if (!['available', 'in-use'].includes(v.status)) throw new BadRequest(`Invalid volume: Volume ${v.id} must be available or in-use to be added to a group.`, {}, 'InvalidVolume');
    }
    for (const volumeId of req.removeVolumes) {
      const v = await this.#volumes.get(ctx, volumeId);
      if (v.groupId !== g.id) throw new BadRequest(`Invalid volume: Volume ${v.id} is not in group ${g.id}.`, {}, 'InvalidVolume');
    }
    for (const volumeId of req.addVolumes) await this.#volumes.volumes.update(volumeId, { group_id: g.id });
    for (const volumeId of req.removeVolumes) await this.#volumes.volumes.update(volumeId, { group_id: null });
    const set: Record<string, string | null> = {};
    if (req.name !== undefined) set.name = req.name;
    if (req.description !== undefined) set.description = req.description;
    await this.store.updateGroup(g.id, set);
  }

  /** The delete action: with `deleteVolumes` its volumes go too; a group with volumes otherwise stays. */
  async delete(ctx: RequestContext, id: string, deleteVolumes: boolean): Promise<void> {
    const g = await this.get(ctx, id);
    const volumeIds = await this.volumeIds(g.id);
    if (volumeIds.length > 0 && !deleteVolumes) throw new BadRequest(`Invalid group: Group ${g.id} still contains volumes. The delete-volumes flag is required to delete it.`, {}, 'InvalidGroup');
    if ((await this.store.listGroupSnapshots({ groupId: g.id })).length > 0) throw new BadRequest(`Invalid group: Group ${g.id} has group snapshots.`, {}, 'InvalidGroup');
    if (!['available', 'error', 'creating', 'updating'].includes(g.status)) throw new BadRequest(`Invalid group: Group status must be available or error, but current status is: ${g.status}.`, {}, 'InvalidGroup');
    for (const volumeId of volumeIds) await this.#volumes.delete(ctx, volumeId, { cascade: true, force: false, fromGroup: true });
    await this.store.removeGroup(g.id);
  }

  /** create-from-src: a group whose volumes are clones of a group's volumes or made from a group snapshot's snapshots. */
  async createFromSource(ctx: RequestContext, req: { name: string | null; description: string | null; sourceGroupId: string | undefined; groupSnapshotId: string | undefined }): Promise<Group> {
    if ((req.sourceGroupId === undefined) === (req.groupSnapshotId === undefined)) throw new BadRequest('Invalid input received: Either group_snapshot_id or source_group_id must be provided.', {}, 'InvalidInput');
    let source: Group;
    let snapshot: GroupSnapshot | undefined;
    if (req.groupSnapshotId !== undefined) {
      snapshot = await this.getSnapshot(ctx, req.groupSnapshotId);
      source = await this.get(ctx, snapshot.groupId);
    } else source = await this.get(ctx, req.sourceGroupId as string);
    const group = await this.store.createGroup({
      projectId: ctx.projectId ?? '',
      userId: ctx.userId,
      name: req.name,
      description: req.description,
      status: 'available',
      availabilityZone: source.availabilityZone,
      groupTypeId: source.groupTypeId,
      volumeTypeIds: source.volumeTypeIds,
      groupSnapshotId: snapshot?.id ?? null,
      sourceGroupId: snapshot === undefined ? source.id : null,
    });
    if (snapshot !== undefined) {
      for (const s of await this.memberSnapshots(snapshot.id)) {
        await this.#volumes.create(ctx, { size: s.volumeSize, name: null, description: null, volumeType: s.volumeTypeId, metadata: {}, snapshotId: s.id, sourceVolid: undefined, imageRef: undefined, availabilityZone: undefined, groupId: group.id });
      }
    } else {
      for (const v of await this.#volumes.volumes.list({ groupId: source.id })) {
        await this.#volumes.create(ctx, { size: v.size, name: v.name, description: v.description, volumeType: v.volumeTypeId, metadata: {}, snapshotId: undefined, sourceVolid: v.id, imageRef: undefined, availabilityZone: undefined, groupId: group.id });
      }
    }
    return group;
  }

  /** reset_status (admin). */
  async resetStatus(ctx: RequestContext, id: string, status: string): Promise<void> {
    const g = await this.get(ctx, id);
    if (!GROUP_STATUSES.includes(status)) throw new BadRequest(`Invalid input received: ${status} is not a valid group status.`, {}, 'InvalidInput');
    await this.store.updateGroup(g.id, { status });
  }

  // ---- group snapshots -------------------------------------------------------------------

  /** The group snapshot (status refreshed from its members) if the caller may see it; 404 otherwise. */
  async getSnapshot(ctx: RequestContext, id: string): Promise<GroupSnapshot> {
    const s = isUuidLike(id) ? await this.store.findGroupSnapshot(id) : undefined;
    if (s === undefined || !visibleTo(ctx, s.projectId)) throw new GroupSnapshotNotFound(id);
    return s;
  }

  async listSnapshots(ctx: RequestContext, allTenants: boolean): Promise<GroupSnapshot[]> {
    const list = await this.store.listGroupSnapshots(ctx.isAdmin && allTenants ? {} : { projectId: ctx.projectId ?? '' });
    return list;
  }

  /** Member snapshots of a group snapshot. */
  async memberSnapshots(groupSnapshotId: string): Promise<Snapshot[]> {
    return (await this.#volumes.snapshots.list()).filter((s) => s.groupSnapshotId === groupSnapshotId);
  }

  /** POST /group_snapshots: a snapshot of every volume of the group. */
  async createSnapshot(ctx: RequestContext, req: { groupId: string; name: string | null; description: string | null }): Promise<GroupSnapshot> {
    const g = await this.get(ctx, req.groupId);
    if (g.status !== 'available') throw new BadRequest(`Invalid group: Group ${g.id} status must be available, but current status is: ${g.status}.`, {}, 'InvalidGroup');
    const volumes = await this.#volumes.volumes.list({ groupId: g.id });
    if (volumes.some((v) => !['available', 'in-use'].includes(v.status))) throw new BadRequest('Invalid group: every volume of the group must be available or in-use.', {}, 'InvalidGroup');
    const gs = await this.store.createGroupSnapshot({ groupId: g.id, projectId: g.projectId, userId: ctx.userId, name: req.name, description: req.description, groupTypeId: g.groupTypeId });
    try {
      for (const v of volumes) await this.#snapshots.create(ctx, { volumeId: v.id, name: req.name, description: null, metadata: {}, force: true, inUseAllowed: true, groupSnapshotId: gs.id });
    } catch (err) {
      await this.store.updateGroupSnapshot(gs.id, { status: 'error' });
      throw err;
    }
    await this.store.updateGroupSnapshot(gs.id, { status: volumes.length === 0 ? 'available' : 'creating' });
    if (volumes.length > 0) await this.store.settleGroupSnapshot(gs.id);
    return { ...gs, status: 'creating' };
  }

  /** DELETE /group_snapshots/{id}: delete the member snapshots, then the group snapshot. */
  async deleteSnapshot(ctx: RequestContext, id: string): Promise<void> {
    const gs = await this.getSnapshot(ctx, id);
    if (!['available', 'error'].includes(gs.status)) throw new BadRequest(`Invalid group snapshot: Group snapshot status must be available or error, but current status is: ${gs.status}.`, {}, 'InvalidGroupSnapshot');
    for (const s of await this.memberSnapshots(gs.id)) await this.#snapshots.delete(ctx, s.id, false, true);
    await this.store.removeGroupSnapshot(gs.id);
  }

  async resetSnapshotStatus(ctx: RequestContext, id: string, status: string): Promise<void> {
    const gs = await this.getSnapshot(ctx, id);
    if (!['available', 'error', 'creating', 'deleting', 'error_deleting'].includes(status)) throw new BadRequest(`Invalid input received: ${status} is not a valid group snapshot status.`, {}, 'InvalidInput');
    await this.store.updateGroupSnapshot(gs.id, { status });
  }
}
