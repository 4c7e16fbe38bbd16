/** POST /v2.1/servers/{id}/action (every action), os-instance-actions, and the Strata trace of a server. */
import type { FastifyInstance } from 'fastify';
import { contextOf } from '@strata/auth';
import { BadRequest, Conflict, NotFound } from '@strata/errors';
import { FLOW_STEPS } from '@strata/trace';
import type { ComputeApi } from '../compute-api.js';
import type { Instance } from '../objects/instance.js';
import { serverBasicView } from './servers-view.js';
import { changeServerSecurityGroup } from './network-proxy-routes.js';
import { serverFloatingIp } from './floating-ip-proxy-routes.js';
import { viewContext } from './servers-routes.js';
import { baseOf, int, invalid, metadataField, nameField, onlyKeys, str, versionOf } from './route-helpers.js';
import { isoMicro } from './view-helpers.js';

/** Register the action route and os-instance-actions. */
export function registerServerActionRoutes(app: FastifyInstance, api: ComputeApi): void {
  app.post('/v2.1/servers/:id/action', async (request, reply) => {
    const ctx = contextOf(request);
    const v = versionOf(request);
    const { id } = request.params as { id: string };
    const body = request.body as Record<string, unknown> | undefined;
    if (body === undefined || body === null || typeof body !== 'object') throw new BadRequest('The request body is missing.', {}, 'ValidationError');
    const [name] = Object.keys(body);
    if (name === undefined) throw new BadRequest('There is no such action: None', {}, 'ValidationError');
    const arg = body[name];
    const i = await api.getServer(ctx, id);
    ctx.authorize('os_compute_api:servers:action', { projectId: i.projectId });
    const accepted = (): unknown => reply.code(202).send();

    switch (name) {
      case 'os-stop':
        api.checkState(ctx, i, 'stop');
        await api.castAction(ctx, i, 'stop', 'powering-off', 'stop');
        return accepted();
      case 'os-start':
        api.checkState(ctx, i, 'start');
        await api.castAction(ctx, i, 'start', 'powering-on', 'start');
        return accepted();
      case 'reboot': {
        const type = String((arg as { type?: unknown } | null)?.type ?? '').toUpperCase();
        if (type !== 'SOFT' && type !== 'HARD') throw invalid('type', `${JSON.stringify((arg as { type?: unknown } | null)?.type)} is not one of ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft']`);
        if (type === 'SOFT' && i.vmState !== 'active') api.checkState(ctx, i, 'reboot');
        api.checkState(ctx, i, 'reboot');
        if (type === 'SOFT' && i.vmState !== 'active') throw new Conflict(`Cannot 'reboot' instance ${i.id} while it is in vm_state ${i.vmState}`, {}, 'InstanceInvalidState');
        await api.castAction(ctx, i, 'reboot', type === 'SOFT' ? 'rebooting' : 'rebooting_hard', type === 'SOFT' ? 'reboot_soft' : 'reboot_hard', { vmState: 'active' });
        return accepted();
      }
      case 'pause':
      case 'unpause':
      case 'suspend':
      case 'resume': {
        api.checkState(ctx, i, name);
        const task = { pause: 'pausing', unpause: 'unpausing', suspend: 'suspending', resume: 'resuming' }[name];
        await api.castAction(ctx, i, name, task, name);
        return accepted();
      }
      case 'lock': {
        const reason = v.atLeast('2.73') ? (str((arg ?? {}) as Record<string, unknown>, 'locked_reason', { max: 255 }) ?? null) : null;
        await api.actions.start({ instanceId: i.id, requestId: ctx.requestId, action: 'lock', projectId: i.projectId, userId: ctx.userId });
        await api.instances.save(i.id, { locked: true, lockedBy: ctx.isAdmin && ctx.projectId !== i.projectId ? 'admin' : 'owner', lockedReason: reason });
        await api.actions.finish(i.id, ctx.requestId, null);
        return accepted();
      }
      case 'unlock': {
        if (i.locked && i.lockedBy === 'admin' && !ctx.isAdmin) throw new Conflict(`Instance ${i.id} is locked`, {}, 'InstanceIsLocked');
        await api.actions.start({ instanceId: i.id, requestId: ctx.requestId, action: 'unlock', projectId: i.projectId, userId: ctx.userId });
        await api.instances.save(i.id, { locked: false, lockedBy: null, lockedReason: null });
        await api.actions.finish(i.id, ctx.requestId, null);
        return accepted();
      }
      case 'shelve':
        api.checkState(ctx, i, 'shelve');
        await api.shelve(ctx, i);
        return accepted();
      case 'shelveOffload':
        if (i.vmState === 'shelved_offloaded') return accepted();
        if (i.vmState !== 'shelved') throw new Conflict(`Cannot 'shelveOffload' instance ${i.id} while it is in vm_state ${i.vmState}`, {}, 'InstanceInvalidState');
        return accepted();
      case 'unshelve':
        api.checkState(ctx, i, 'unshelve');
        await api.unshelve(ctx, i);
        return accepted();
      case 'rebuild': {
        const r = (arg ?? {}) as Record<string, unknown>;
        api.checkState(ctx, i, 'rebuild');
        const imageRef = str(r, 'imageRef', { required: true }) as string;
        const imageId = imageRef.split('/').pop() ?? imageRef;
        if (await api.images.available(ctx.authToken)) {
          const image = await api.images.find(ctx.authToken, imageId, ctx.globalRequestId);
          if (image === undefined) throw new BadRequest(`Image ${imageId} could not be found.`, {}, 'ImageNotFound');
          if (image.status !== 'active') throw new BadRequest(`Image ${imageId} is not active.`, {}, 'ImageNotActive');
        }
        const newName = nameField(r, 'name', false);
        const changes: Partial<Instance> = { imageRef: imageId, ...(newName !== undefined ? { name: newName } : {}) };
        if (r.metadata !== undefined) Object.assign(changes, { metadata: metadataField(r.metadata) });
        if (r['OS-DCF:diskConfig'] === 'AUTO' || r['OS-DCF:diskConfig'] === 'MANUAL') Object.assign(changes, { diskConfig: r['OS-DCF:diskConfig'] });
        if (typeof r.accessIPv4 === 'string') Object.assign(changes, { accessIpV4: r.accessIPv4 });
        if (typeof r.accessIPv6 === 'string') Object.assign(changes, { accessIpV6: r.accessIPv6 });
        if (v.atLeast('2.19') && r.description !== undefined) Object.assign(changes, { description: r.description });
        if (v.atLeast('2.57') && r.user_data !== undefined) Object.assign(changes, { userData: r.user_data });
        if (v.atLeast('2.54') && r.key_name !== undefined) {
          if (r.key_name === null) Object.assign(changes, { keyName: null, keyData: null });
          else {
            const kp = await api.keypairs.get(ctx.userId, String(r.key_name)).catch(() => undefined);
            if (kp === undefined) throw new BadRequest('Invalid key_name provided.', {}, 'KeypairNotFound');
            Object.assign(changes, { keyName: kp.name, keyData: kp.publicKey });
          }
        }
        const saved = await api.castAction(ctx, i, 'rebuild', 'rebuilding', 'rebuild', changes, { imageRef: imageId });
        const view = serverBasicView(saved, await viewContext(api, request, ctx), { rebuild: true });
        return reply.code(202).send({ server: { ...view, adminPass: typeof r.adminPass === 'string' ? r.adminPass : 'strata-rebuild' } });
      }
      case 'resize': {
        const r = (arg ?? {}) as Record<string, unknown>;
        onlyKeys(r, ['flavorRef', 'OS-DCF:diskConfig'], 'resize');
        const resizeDc = r['OS-DCF:diskConfig'];
        api.checkState(ctx, i, 'resize');
        const flavorRef = r.flavorRef;
        if (typeof flavorRef !== 'string' && typeof flavorRef !== 'number') throw invalid('flavorRef', "'flavorRef' is a required property");
        let flavor;
        try {
          flavor = await api.visibleFlavor(ctx, String(flavorRef));
        } catch {
          throw new BadRequest(`Unable to find flavor ${String(flavorRef)}`, {}, 'FlavorNotFound');
        }
        if (flavor.id === i.flavor.id) throw new BadRequest('When resizing, instances must change flavor!', {}, 'CannotResizeToSameFlavor');
        if (flavor.rootGb < i.flavor.rootGb && i.imageRef !== '') throw new BadRequest('Resize error: Unable to resize disk down.', {}, 'CannotResizeDisk');
        const dv = flavor.vcpus - i.flavor.vcpus;
        const dr = flavor.memoryMb - i.flavor.memoryMb;
        await api.quotas.claim(i.projectId, { cores: Math.max(0, dv), ram: Math.max(0, dr) });
        await api.quotas.release(i.projectId, { cores: Math.max(0, -dv), ram: Math.max(0, -dr) });
        const { snapshotOf } = await import('../objects/flavor.js');
        await api.castAction(ctx, i, 'resize', 'resize_prep', 'resize', { newFlavor: snapshotOf(flavor), ...(resizeDc === 'AUTO' || resizeDc === 'MANUAL' ? { diskConfig: resizeDc } : {}) });
        return accepted();
      }
      case 'confirmResize':
        api.checkState(ctx, i, 'confirmResize');
        await api.castAction(ctx, i, 'confirmResize', null, 'confirm_resize');
        return reply.code(204).send();
      case 'revertResize': {
        api.checkState(ctx, i, 'revertResize');
        if (i.oldFlavor !== null) {
          const dv = i.oldFlavor.vcpus - i.flavor.vcpus;
          const dr = i.oldFlavor.memoryMb - i.flavor.memoryMb;
          await api.quotas.release(i.projectId, { cores: Math.max(0, -dv), ram: Math.max(0, -dr) });
          await api.quotas.claim(i.projectId, { cores: Math.max(0, dv), ram: Math.max(0, dr) }).catch(() => undefined);
        }
        await api.castAction(ctx, i, 'revertResize', 'resize_reverting', 'revert_resize');
        return accepted();
      }
      case 'createImage': {
        const r = (arg ?? {}) as Record<string, unknown>;
        onlyKeys(r, ['name', 'metadata'], 'createImage');
        const imgName = nameField(r, 'name', true) as string;
        const md = metadataField(r.metadata);
        const imageId = await api.createImage(ctx, i, imgName, md);
        if (v.atLeast('2.45')) return reply.code(202).send({ image_id: imageId });
        void reply.header('location', `${baseOf(request)}/v2.1/images/${imageId}`);
        return accepted();
      }
      case 'createBackup': {
        const r = (arg ?? {}) as Record<string, unknown>;
        onlyKeys(r, ['name', 'backup_type', 'rotation', 'metadata'], 'createBackup');
        const imgName = nameField(r, 'name', true) as string;
        const backupType = str(r, 'backup_type', { required: true }) as string;
        const rotation = int(r, 'rotation', { min: 0, required: true }) as number;
        const md = metadataField(r.metadata);
        const imageId = await api.createImage(ctx, i, imgName, { ...md, image_type: 'backup', backup_type: backupType });
        // Rotation: keep the newest `rotation` backups of this server and type.
        const backups = (await api.images.listRaw(ctx.authToken, {}, ctx.globalRequestId))
          .filter((img) => img.instance_uuid === i.id && img.image_type === 'backup' && img.backup_type === backupType)
          .sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)) || (a.id === imageId ? -1 : b.id === imageId ? 1 : 0));
        for (const old of backups.slice(Math.max(rotation, 1))) if (old.id !== imageId) await api.images.delete(ctx.authToken, String(old.id), ctx.globalRequestId);
        if (v.atLeast('2.45')) return reply.code(202).send({ image_id: imageId });
        void reply.header('location', `${baseOf(request)}/v2.1/images/${imageId}`);
        return accepted();
      }
      case 'os-getConsoleOutput': {
        const r = (arg ?? {}) as Record<string, unknown>;
        onlyKeys(r, ['length'], 'os-getConsoleOutput');
        let length: number | null = null;
        if (r.length !== undefined && r.length !== null) length = int(r, 'length', { min: -1 }) ?? null;
        ctx.authorize('os_compute_api:os-console-output', { projectId: i.projectId });
        const output = await api.consoleOutput(ctx, i, length === -1 ? null : length);
        return reply.code(200).send({ output });
      }
      case 'addSecurityGroup':
      case 'removeSecurityGroup': {
        const sg = (arg as { name?: unknown } | null)?.name;
        if (typeof sg !== 'string' || sg === '') throw new BadRequest('Security group name cannot be empty', {}, 'ValidationError');
        const current = i.securityGroups;
        let names = [sg];
        if (await api.networks.available(ctx.authToken)) names = await changeServerSecurityGroup(api, ctx, i.id, i.projectId, sg, name === 'addSecurityGroup');
        else if (name === 'removeSecurityGroup' && !current.includes(sg)) throw new BadRequest(`Security group ${sg} not associated with the instance`, {}, 'SecurityGroupNotAssociated');
        const groups = name === 'addSecurityGroup' ? [...new Set([...current, ...names])] : current.filter((g) => !names.includes(g) && g !== sg);
        await api.instances.save(i.id, { securityGroups: groups.length === 0 ? [] : groups });
        return accepted();
      }
      case 'rescue': {
        const r = (arg ?? {}) as Record<string, unknown>;
        onlyKeys(r, ['adminPass', 'rescue_image_ref'], 'rescue');
        api.checkState(ctx, i, 'rescue');
        await api.castAction(ctx, i, 'rescue', 'rescuing', 'rescue');
        return reply.code(200).send({ adminPass: typeof r.adminPass === 'string' ? r.adminPass : 'strata-rescue' });
      }
      case 'unrescue':
        api.checkState(ctx, i, 'unrescue');
        await api.castAction(ctx, i, 'unrescue', 'unrescuing', 'unrescue');
        return accepted();
      case 'restore':
        if (i.vmState !== 'soft-delete') throw new Conflict(`Cannot 'restore' instance ${i.id} while it is in vm_state ${i.vmState}`, {}, 'InstanceInvalidState');
        return accepted();
      case 'forceDelete':
        if (i.vmState !== 'soft-delete') throw new Conflict(`Cannot 'forceDelete' instance ${i.id} while it is in vm_state ${i.vmState}`, {}, 'InstanceInvalidState');
        await api.deleteServer(ctx, i);
        return accepted();
      case 'addFloatingIp':
      case 'removeFloatingIp':
        if (v.atLeast('2.44')) throw new BadRequest(`There is no such action: ${name}`, {}, 'ValidationError');
        await serverFloatingIp(api, ctx, i, name === 'addFloatingIp', arg);
        return accepted();
      case 'changePassword':
        return accepted();
      case 'os-resetState': {
        ctx.authorize('os_compute_api:os-migrate-server', {});
        const state = (arg as { state?: unknown } | null)?.state;
        if (state !== 'active' && state !== 'error') throw invalid('state', `${JSON.stringify(state)} is not one of ['active', 'error']`);
        await api.instances.save(i.id, { vmState: state, taskState: null });
        return accepted();
      }
      default:
        throw new BadRequest(`There is no such action: ${name}`, {}, 'ValidationError');
    }
  });

  // os-instance-actions.
  const actionView = (a: { action: string; instanceId: string; requestId: string; userId: string; projectId: string; startTime: string; message: string | null; updatedAt: string }, withUpdated: boolean): Record<string, unknown> => ({
    action: a.action,
    instance_uuid: a.instanceId,
    request_id: a.requestId,
    user_id: a.userId,
    project_id: a.projectId,
    start_time: isoMicro(a.startTime),
    message: a.message,
    ...(withUpdated ? { updated_at: isoMicro(a.updatedAt) } : {}),
  });
  app.get('/v2.1/servers/:id/os-instance-actions', async (request) => {
    const ctx = contextOf(request);
    const v = versionOf(request);
    const i = await api.getServer(ctx, (request.params as { id: string }).id, { includeDeleted: v.atLeast('2.21') });
    ctx.authorize('os_compute_api:os-instance-actions', { projectId: i.projectId });
    let list = await api.actions.list(i.id);
    const q = request.query as Record<string, string | undefined>;
    if (v.atLeast('2.58')) {
      if (q['changes-since'] !== undefined) list = list.filter((a) => a.updatedAt >= new Date(q['changes-since'] as string).toISOString());
      if (q.marker !== undefined) {
        const idx = list.findIndex((a) => a.requestId === q.marker);
        if (idx < 0) throw new BadRequest(`Marker ${q.marker} could not be found.`, {}, 'MarkerNotFound');
        list = list.slice(idx + 1);
      }
      if (q.limit !== undefined) list = list.slice(0, Number(q.limit));
    }
    return { instanceActions: list.map((a) => actionView(a, v.atLeast('2.58'))) };
  });
  app.get('/v2.1/servers/:id/os-instance-actions/:requestId', async (request) => {
    const ctx = contextOf(request);
    const v = versionOf(request);
    const { id, requestId } = request.params as { id: string; requestId: string };
    const i = await api.getServer(ctx, id, { includeDeleted: v.atLeast('2.21') });
    ctx.authorize('os_compute_api:os-instance-actions', { projectId: i.projectId });
    const a = await api.actions.get(i.id, requestId);
    const showEvents = ctx.can('os_compute_api:os-instance-actions:events', { projectId: i.projectId }) || v.atLeast('2.51');
    const events = (await api.actions.events(a.id)).map((e) => ({
      event: e.event,
      start_time: isoMicro(e.startTime),
      finish_time: isoMicro(e.finishTime),
      result: e.result,
      ...(ctx.isAdmin ? { traceback: e.traceback } : {}),
      ...(v.atLeast('2.62') ? { host: e.host ?? '', hostId: '' } : {}),
    }));
    return { instanceAction: { ...actionView(a, v.atLeast('2.58')), ...(showEvents ? { events } : {}) } };
  });

  // Strata's own: the flow trace of a server's create request, one event per FLOW.md step.
  app.get('/v2.1/servers/:id/strata-trace', async (request) => {
    const ctx = contextOf(request);
    const i = await api.getServer(ctx, (request.params as { id: string }).id, { includeDeleted: true });
    ctx.authorize('os_compute_api:strata:trace', { projectId: i.projectId });
    const create = (await api.actions.list(i.id)).find((a) => a.action === 'create');
    if (create === undefined) throw new NotFound(`No create action for server ${i.id}`, {}, 'InstanceActionNotFound');
    const events = (await api.actions.events(create.id)).filter((e) => e.event.startsWith('flow_step_'));
    return {
      trace: {
        server_id: i.id,
        request_id: create.requestId,
        steps: events
          .map((e) => {
            const step = Number(/^flow_step_(\d+)/.exec(e.event)?.[1] ?? 0);
            return { step, title: FLOW_STEPS[step - 1]?.title ?? '', component: e.event.replace(/^flow_step_\d+_/, ''), started_at: isoMicro(e.startTime), finished_at: isoMicro(e.finishTime), result: e.result, detail: e.details ?? e.traceback };
          })
          .sort((a, b) => a.step - b.step || String(a.started_at).localeCompare(String(b.started_at))),
      },
    };
  });
}
