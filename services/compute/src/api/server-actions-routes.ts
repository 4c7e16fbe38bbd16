/** POST /v2.1/servers/{id}/action (every action), os-instance-actions, and the Strata trace of a server. */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { contextOf, type RequestContext } from '@strata/auth';
import { BadRequest, Conflict, NotFound } from '@strata/errors';
import { FLOW_STEPS } from '@strata/trace';
import type { ComputeApi } from '../compute-api.js';
import type { Instance } from '../objects/instance.js';
import { hostId, serverBasicView } from './servers-view.js';
import type { ApiVersion } from './microversion.js';
import { changeServerSecurityGroup } from './network-proxy-routes.js';
import { serverFloatingIp } from './floating-ip-proxy-routes.js';
import { hostnameField, viewContext } from './servers-routes.js';
import { afterMarker, baseOf, int, invalid, metadataField, nameField, onlyKeys, str, versionOf } from './route-helpers.js';
import { isoMicro } from './view-helpers.js';
import { legacyVncConsole } from '../console/remote-consoles.js';

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
        if (v.atLeast('2.73') && arg !== null && arg !== undefined) {
          if (typeof arg !== 'object' || Array.isArray(arg)) throw invalid('lock', `${JSON.stringify(arg)} is not of type 'object', 'null'`);
          onlyKeys(arg as Record<string, unknown>, ['locked_reason'], 'lock');
        }
        const reason = v.atLeast('2.73') ? (str((arg ?? {}) as Record<string, unknown>, 'locked_reason', { min: 1, max: 255 }) ?? null) : null;
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
      case 'unshelve': {
        const target = await unshelveTarget(api, ctx, i, v, arg);
        api.checkState(ctx, i, 'unshelve');
        await api.unshelve(ctx, i, target);
        return accepted();
      }
      case 'os-migrateLive':
      case 'migrate':
      case 'evacuate':
        return migrationAction(api, ctx, i, v, name, arg, reply);
      case 'rebuild': {
        const r = (arg ?? {}) as Record<string, unknown>;
        onlyKeys(r, rebuildKeys(v), 'rebuild');
        api.checkState(ctx, i, 'rebuild');
        const imageRef = str(r, 'imageRef', { required: true }) as string;
        const imageId = imageRef.split('/').pop() ?? imageRef;
        const hostname = v.atLeast('2.90') ? hostnameField(r, v) : undefined;
        const trusted = v.atLeast('2.63') ? r.trusted_image_certificates : undefined;
        if (trusted !== undefined && trusted !== null && (!Array.isArray(trusted) || trusted.length < 1 || trusted.length > 50 || !trusted.every((c) => typeof c === 'string' && c !== '') || new Set(trusted).size !== trusted.length)) {
          throw invalid('trusted_image_certificates', `${JSON.stringify(trusted)} is not valid`);
        }
        if (i.imageRef === '') {
          // A volume-backed server: its root volume is re-imaged only from 2.93.
          if (Array.isArray(trusted)) throw new BadRequest('Image certificate validation is not supported for volume-backed instances.', {}, 'CertificateValidationFailed');
          if (!v.atLeast('2.93') && imageId !== (await rootVolumeImage(api, ctx, i))) throw new BadRequest(`Image ${imageId} is unacceptable: Unable to rebuild with a different image for a volume-backed server.`, {}, 'ImageUnacceptable');
        }
        if (await api.images.available(ctx.authToken)) {
          const image = await api.images.find(ctx.authToken, imageId, ctx.globalRequestId);
          if (image === undefined) throw new BadRequest(`Image ${imageId} could not be found.`, {}, 'ImageNotFound');
          if (image.status !== 'active') throw new BadRequest(`Image ${imageId} is not active.`, {}, 'ImageNotActive');
        }
        const newName = nameField(r, 'name', false);
        // NOTE: a volume-backed server keeps an empty image_ref (2.93 re-images its root volume).
        const changes: Partial<Instance> = { imageRef: i.imageRef === '' ? '' : imageId, ...(newName !== undefined ? { name: newName } : {}) };
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
        if (hostname !== undefined) Object.assign(changes, { hostname });
        if (trusted !== undefined) {
          const { trusted_image_certificates: _old, ...sm } = i.systemMetadata;
          Object.assign(changes, { systemMetadata: Array.isArray(trusted) ? { ...sm, trusted_image_certificates: JSON.stringify(trusted) } : sm });
        }
        const saved = await api.castAction(ctx, i, 'rebuild', 'rebuilding', 'rebuild', changes, { imageRef: imageId });
        const view = serverBasicView(saved, await viewContext(api, request, ctx, v.atLeast('2.75') ? saved : undefined), { rebuild: true });
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
      case 'os-getVNCConsole':
        return reply.code(200).send(await legacyVncConsole(request, i, arg));
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
        if (i.imageRef === '' && !v.atLeast('2.87')) throw new BadRequest(`Instance ${i.id} cannot be rescued: Cannot rescue a volume-backed instance`, {}, 'InstanceNotRescuable');
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
      const since = actionTime(q['changes-since'], 'changes-since');
      const before = v.atLeast('2.66') ? actionTime(q['changes-before'], 'changes-before') : undefined;
      if (since !== undefined && before !== undefined && since > before) throw new BadRequest('The value of changes-since must be less than or equal to changes-before.', {}, 'InvalidInput');
      if (since !== undefined) list = list.filter((a) => a.updatedAt >= since);
      if (before !== undefined) list = list.filter((a) => a.updatedAt <= before);
      list = afterMarker(list, q.marker, (a) => a.requestId);
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
      ...(v.atLeast('2.62') ? { hostId: hostId(i.projectId, e.host ?? null), ...(ctx.isAdmin ? { host: e.host ?? '' } : {}) } : {}),
      ...(v.atLeast('2.84') ? { details: e.details ?? null } : {}),
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
            const flow = FLOW_STEPS[step - 1];
            return { step, title: flow?.title ?? '', component: e.event.replace(/^flow_step_\d+_/, ''), kind: flow?.kind ?? null, started_at: isoMicro(e.startTime), finished_at: isoMicro(e.finishTime), result: e.result, detail: e.details ?? e.traceback };
          })
          .sort((a, b) => a.step - b.step || String(a.started_at).localeCompare(String(b.started_at))),
      },
    };
  });
}

/** The keys a rebuild body may have at a microversion (nova's additionalProperties: false). */
function rebuildKeys(v: ApiVersion): string[] {
  return [
    'imageRef', 'name', 'adminPass', 'metadata', 'preserve_ephemeral', 'OS-DCF:diskConfig', 'accessIPv4', 'accessIPv6',
    ...(v.atLeast('2.57') ? [] : ['personality']),
    ...(v.atLeast('2.19') ? ['description'] : []),
    ...(v.atLeast('2.54') ? ['key_name'] : []),
    ...(v.atLeast('2.57') ? ['user_data'] : []),
    ...(v.atLeast('2.63') ? ['trusted_image_certificates'] : []),
    ...(v.atLeast('2.90') ? ['hostname'] : []),
  ];
}

/** A changes-since / changes-before value of os-instance-actions as an ISO time; 400 when malformed. */
function actionTime(raw: string | undefined, name: string): string | undefined {
  if (raw === undefined) return undefined;
  const t = Date.parse(raw.replace(' ', 'T'));
  if (Number.isNaN(t)) throw new BadRequest(`Invalid input for query parameters ${name}. Value: ${raw}. '${raw}' is not a 'date-time'`, {}, 'ValidationError');
  return new Date(t).toISOString();
}

/**
 * The body of unshelve: null before 2.77; {availability_zone} from 2.77; {availability_zone (may be
 * null: unpin), host (admin)} from 2.91. A zone or host needs a SHELVED_OFFLOADED server (409).
 */
async function unshelveTarget(api: ComputeApi, ctx: RequestContext, i: Instance, v: ApiVersion, arg: unknown): Promise<{ availabilityZone?: string | null; host?: string }> {
  if (arg === null || arg === undefined || !v.atLeast('2.77')) return {};
  if (typeof arg !== 'object' || Array.isArray(arg)) throw invalid('unshelve', `${JSON.stringify(arg)} is not of type 'object', 'null'`);
  const r = arg as Record<string, unknown>;
  onlyKeys(r, ['availability_zone', ...(v.atLeast('2.91') ? ['host'] : [])], 'unshelve');
  if (!v.atLeast('2.91') && r.availability_zone === undefined) throw invalid('unshelve', "'availability_zone' is a required property");
  if (v.atLeast('2.91') && Object.keys(r).length === 0) throw invalid('unshelve', '{} does not have enough properties');
  const out: { availabilityZone?: string | null; host?: string } = {};
  if (r.availability_zone !== undefined) {
    const az = str(r, 'availability_zone', { min: 1, max: 255, nullable: v.atLeast('2.91') }) ?? null;
    if (az !== null && !new Set((await api.hostZones()).values()).has(az)) throw new BadRequest('The requested availability zone is not available', {}, 'InvalidRequest');
    out.availabilityZone = az;
  }
  if (r.host !== undefined) {
    ctx.authorize('os_compute_api:servers:create:forced_host', { projectId: i.projectId });
    const host = str(r, 'host', { min: 1, max: 255 }) as string;
    if ((await api.services.listServices({ host, binary: 'nova-compute' })).length === 0) throw new BadRequest(`Compute host ${host} could not be found.`, {}, 'ComputeHostNotFound');
    out.host = host;
  }
  if (i.vmState !== 'shelved_offloaded') {
    throw new Conflict(`The unshelve action on a server with a specified availability zone or host is only allowed when the server is SHELVED_OFFLOADED; server ${i.id} is in vm_state ${i.vmState}.`, {}, 'UnshelveInstanceInvalidState');
  }
  return out;
}

/**
 * migrate, os-migrateLive and evacuate. Strata runs one compute host per cloud in practice and
 * has no migration engine, so these answer as nova does when no other host can take the server:
 * validation and state errors first, then NoValidHost (400, or a failed action when nova runs the
 * operation asynchronously).
 */
async function migrationAction(api: ComputeApi, ctx: RequestContext, i: Instance, v: ApiVersion, name: string, arg: unknown, reply: FastifyReply): Promise<unknown> {
  ctx.authorize('os_compute_api:os-migrate-server', { projectId: i.projectId });
  const r = (arg ?? {}) as Record<string, unknown>;
  if (arg !== null && arg !== undefined && (typeof arg !== 'object' || Array.isArray(arg))) throw invalid(name, `${JSON.stringify(arg)} is not of type 'object'`);
  const forceAllowed = v.atLeast(name === 'evacuate' ? '2.29' : '2.30') && !v.atLeast('2.68');
  const knownHost = async (host: string): Promise<boolean> => (await api.services.listNodes()).some((n) => n.host === host);
  const failLater = async (action: string): Promise<void> => {
    await api.actions.start({ instanceId: i.id, requestId: ctx.requestId, action, projectId: i.projectId, userId: ctx.userId });
    await api.actions.finish(i.id, ctx.requestId, 'Error');
  };
  if (name === 'migrate') {
    if (arg !== null && arg !== undefined) onlyKeys(r, v.atLeast('2.56') ? ['host'] : [], 'migrate');
    const host = v.atLeast('2.56') ? (str(r, 'host', { min: 1, max: 255, nullable: true }) ?? null) : null;
    api.checkState(ctx, i, 'resize');
    if (host !== null && !(await knownHost(host))) throw new BadRequest(`Compute host ${host} could not be found.`, {}, 'ComputeHostNotFound');
    if (host !== null && host === i.host) throw new BadRequest('Cannot migrate to the host where the server exists.', {}, 'CannotMigrateToSameHost');
    throw new BadRequest('No valid host was found. No valid host found for cold migrate', {}, 'NoValidHost');
  }
  if (name === 'os-migrateLive') {
    onlyKeys(r, ['block_migration', 'host', ...(v.atLeast('2.25') ? [] : ['disk_over_commit']), ...(forceAllowed ? ['force'] : [])], 'os-migrateLive');
    const bm = r.block_migration;
    if (bm === undefined) throw invalid('block_migration', "'block_migration' is a required property");
    if (typeof bm !== 'boolean' && !(v.atLeast('2.25') && bm === 'auto') && !(typeof bm === 'string' && ['true', 'false', 'True', 'False'].includes(bm))) throw invalid('block_migration', `${JSON.stringify(bm)} is not valid`);
    if (!v.atLeast('2.25') && r.disk_over_commit === undefined) throw invalid('disk_over_commit', "'disk_over_commit' is a required property");
    const host = str(r, 'host', { min: 1, max: 255, nullable: true }) ?? null;
    if (i.locked && !ctx.isAdmin) throw new Conflict(`Instance ${i.id} is locked`, {}, 'InstanceIsLocked');
    if (!['active', 'paused'].includes(i.vmState) || i.taskState !== null) throw new Conflict(`Cannot 'os-migrateLive' instance ${i.id} while it is in vm_state ${i.vmState}`, {}, 'InstanceInvalidState');
    if (host !== null && !(await knownHost(host))) throw new BadRequest(`Compute host ${host} could not be found.`, {}, 'ComputeHostNotFound');
    if (!v.atLeast('2.34')) {
      if (host !== null && host === i.host) throw new BadRequest(`Unable to migrate instance (${i.id}) to current host (${host}).`, {}, 'UnableToMigrateToSelf');
      throw new BadRequest('No valid host was found. ', {}, 'NoValidHost');
    }
    await failLater('live-migration');
    return reply.code(202).send();
  }
  // evacuate
  onlyKeys(r, ['host', 'adminPass', ...(v.atLeast('2.14') ? [] : ['onSharedStorage']), ...(forceAllowed ? ['force'] : [])], 'evacuate');
  if (!v.atLeast('2.14') && r.onSharedStorage === undefined) throw invalid('onSharedStorage', "'onSharedStorage' is a required property");
  const host = str(r, 'host', { min: 1, max: 255 }) ?? null;
  const adminPass = str(r, 'adminPass') ?? null;
  if (host !== null && !(await knownHost(host))) throw new NotFound(`Compute host ${host} could not be found.`, {}, 'ComputeHostNotFound');
  if (host !== null && host === i.host) throw new BadRequest("The target host can't be the same one.", {}, 'InvalidInput');
  if (!['active', 'stopped', 'error'].includes(i.vmState)) throw new Conflict(`Cannot 'evacuate' instance ${i.id} while it is in vm_state ${i.vmState}`, {}, 'InstanceInvalidState');
  const svc = i.host === null ? undefined : (await api.services.listServices({ host: i.host, binary: 'nova-compute' }))[0];
  if (svc !== undefined && !svc.forcedDown && (await api.hostStatuses()).get(svc.host) !== 'DOWN') throw new BadRequest(`Compute service of ${i.host ?? ''} is still in use.`, {}, 'ComputeServiceInUse');
  await failLater('evacuate');
  if (v.atLeast('2.14')) return reply.code(200).send();
  return reply.code(200).send({ adminPass: adminPass ?? 'strata-evacuate' });
}

/** The image a volume-backed server's root volume was made from (cinder's volume_image_metadata), if known. */
async function rootVolumeImage(api: ComputeApi, ctx: RequestContext, i: Instance): Promise<string | undefined> {
  const attachments = await api.attachments.list(i.id);
  const root = attachments.find((a) => a.device === i.rootDeviceName) ?? attachments[0];
  if (root === undefined || !(await api.volumes.available(ctx.authToken, i.projectId))) return undefined;
  try {
    const b = await api.volumes.raw<{ volume: { volume_image_metadata?: Record<string, unknown> } }>(ctx.authToken, i.projectId, 'GET', `/volumes/${root.volumeId}`, undefined, ctx.globalRequestId);
    const id = b.volume.volume_image_metadata?.image_id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}
