/** /os-volume-transfer and /volume-transfers (3.55+): offer a volume to another project, accept it with the auth key. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RequestContext } from '@strata/auth';
import { BadRequest } from '@strata/errors';
import { queryBool, type Query } from '@strata/http';
import { isUuidLike, parseBool, parseText, visibleTo } from '../api-support.js';
import { snapshotDeltas, volumeDeltas } from '../objects/quota.js';
import { TransferNotFound, type Transfer } from '../objects/transfer.js';
import type { VolumeApi } from '../volume-api.js';
import { caller, member, requireVersion, versionOf, viewOf } from './route-helpers.js';
import { cinderTime, resourceLinks, type ViewContext } from './view-helpers.js';

function detailView(t: Transfer, vc: ViewContext, collection: string): Record<string, unknown> {
  const out: Record<string, unknown> = { id: t.id, created_at: cinderTime(t.createdAt), name: t.name, volume_id: t.volumeId, links: resourceLinks(vc, collection, t.id) };
  if (vc.version.atLeast('3.55')) out.no_snapshots = t.noSnapshots;
  if (vc.version.atLeast('3.57')) Object.assign(out, { destination_project_id: t.destinationProjectId, source_project_id: t.sourceProjectId, accepted: t.accepted });
  return out;
}

/** Register the transfer routes (both paths) on an app scoped to `/v3/{project_id}`. */
export function registerTransferRoutes(app: FastifyInstance, api: VolumeApi): void {
  const transfers = api.transfers;
  const visible = async (ctx: RequestContext, id: string): Promise<Transfer> => {
    const t = isUuidLike(id) ? await transfers.get(id).catch(() => undefined) : undefined;
    if (t === undefined || !visibleTo(ctx, t.sourceProjectId)) throw new TransferNotFound(id);
    return t;
  };

  for (const collection of ['os-volume-transfer', 'volume-transfers']) {
    const gate = (request: FastifyRequest): void => {
      if (collection === 'volume-transfers') requireVersion(request, '3.55');
    };

    app.post(`/${collection}`, { schema: { body: { type: 'object', required: ['transfer'], properties: { transfer: { type: 'object' } } } } }, async (request, reply) => {
      gate(request);
      const ctx = caller(request);
      const b = member(request, 'transfer');
      if (typeof b.volume_id !== 'string') throw new BadRequest("Invalid input for field/attribute transfer. 'volume_id' is a required property", {}, 'ValidationError');
      const v = await api.get(ctx, b.volume_id);
      ctx.authorize('volume:create_transfer', { projectId: v.projectId });
      const noSnapshots = versionOf(request).atLeast('3.55') && b.no_snapshots !== undefined ? parseBool(b.no_snapshots, 'no_snapshots') : false;
      if (!noSnapshots) {
        const snaps = await api.snapshots.list({ volumeId: v.id });
        if (snaps.some((s) => s.status !== 'available')) throw new BadRequest('Invalid snapshot: snapshot status must be available', {}, 'InvalidSnapshot');
      }
      if (!(await api.volumes.update(v.id, { status: 'awaiting-transfer' }, { status: ['available'] }))) {
        throw new BadRequest(`Invalid volume: status must be available`, { volumeId: v.id }, 'InvalidVolume');
      }
      const { transfer, authKey } = await transfers.create({ volumeId: v.id, name: parseText(b.name, 'name'), noSnapshots, sourceProjectId: v.projectId });
      return reply.code(202).send({ transfer: { ...detailView(transfer, viewOf(request, ctx), collection), auth_key: authKey } });
    });

    const list = (detail: boolean) => async (request: FastifyRequest) => {
      gate(request);
      const ctx = caller(request);
      ctx.authorize('volume:get_all_transfers', { projectId: ctx.projectId ?? null });
      const all = ctx.isAdmin && queryBool(request.query as Query, 'all_tenants') === true;
      const list = await transfers.list({ ...(all ? {} : { projectId: ctx.projectId ?? '' }) });
      const vc = viewOf(request, ctx);
      return { transfers: list.map((t) => (detail ? detailView(t, vc, collection) : { id: t.id, volume_id: t.volumeId, name: t.name, links: resourceLinks(vc, collection, t.id) })) };
    };
    app.get(`/${collection}`, list(false));
    app.get(`/${collection}/detail`, list(true));

    app.get(`/${collection}/:id`, async (request) => {
      gate(request);
      const ctx = caller(request);
      const t = await visible(ctx, (request.params as { id: string }).id);
      ctx.authorize('volume:get_transfer', { projectId: t.sourceProjectId });
      return { transfer: detailView(t, viewOf(request, ctx), collection) };
    });

    app.delete(`/${collection}/:id`, async (request, reply) => {
      gate(request);
      const ctx = caller(request);
      const t = await visible(ctx, (request.params as { id: string }).id);
      ctx.authorize('volume:delete_transfer', { projectId: t.sourceProjectId });
      await transfers.remove(t.id);
      if (!t.accepted) await api.volumes.update(t.volumeId, { status: 'available' }, { status: ['awaiting-transfer'] });
      return reply.code(202).send();
    });

    app.post(`/${collection}/:id/accept`, { schema: { body: { type: 'object', required: ['accept'], properties: { accept: { type: 'object' } } } } }, async (request, reply) => {
      gate(request);
      const ctx = caller(request);
      ctx.authorize('volume:accept_transfer', { projectId: ctx.projectId ?? null });
      const id = (request.params as { id: string }).id;
      const t = isUuidLike(id) ? await transfers.get(id).catch(() => undefined) : undefined;
      if (t === undefined || t.accepted) throw new TransferNotFound(id);
      const a = member(request, 'accept');
      if (typeof a.auth_key !== 'string' || !(await transfers.checkKey(t.id, a.auth_key))) throw new BadRequest(`Invalid auth key: Attempt to transfer ${t.id} with invalid auth key.`, {}, 'InvalidAuthKey');
      const v = await api.volumes.get(t.volumeId);
      const dest = ctx.projectId ?? '';
      const type = await api.types.find(v.volumeTypeId);
      const snaps = t.noSnapshots ? [] : await api.snapshots.list({ volumeId: v.id });
      const deltas: Record<string, number> = volumeDeltas(v.size, type?.name ?? '');
      for (const s of snaps) for (const [k, n] of Object.entries(snapshotDeltas(s.volumeSize, type?.name ?? ''))) deltas[k] = (deltas[k] ?? 0) + n;
      await api.quotas.consume(dest, deltas, await api.typeNames());
      if (!(await api.volumes.update(v.id, { project_id: dest, user_id: ctx.userId, status: 'available' }, { status: ['awaiting-transfer'] }))) {
        await api.quotas.release(dest, deltas);
        throw new BadRequest('Invalid volume: the volume is no longer awaiting a transfer.', {}, 'InvalidVolume');
      }
      for (const s of snaps) await api.snapshots.update(s.id, { project_id: dest, user_id: ctx.userId });
      await api.quotas.release(v.projectId, deltas);
      await transfers.markAccepted(t.id, dest);
      return reply.code(202).send({ transfer: { id: t.id, name: t.name, volume_id: t.volumeId, links: resourceLinks(viewOf(request, ctx), collection, t.id) } });
    });
  }
}
