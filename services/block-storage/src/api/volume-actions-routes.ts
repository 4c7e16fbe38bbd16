/** POST /volumes/{id}/action: one route, a table from action name to handler (cinder's @wsgi.action methods). */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RequestContext } from '@strata/auth';
import { BadRequest } from '@strata/errors';
import type { Connector } from '@strata/volume';
import { isUuidLike, parseBool, parseMetadata, parseSize } from '../api-support.js';
import type { AttachmentApi } from '../attachment-api.js';
import type { VolumeApi } from '../volume-api.js';
import type { Volume } from '../objects/volume.js';
import type { ApiVersion } from './microversion.js';
import { caller, versionOf } from './route-helpers.js';

/** What an action handler gets. */
interface ActionInput {
  readonly ctx: RequestContext;
  readonly volume: Volume;
  readonly args: Record<string, unknown>;
  readonly version: ApiVersion;
  readonly reply: FastifyReply;
}

type Action = (input: ActionInput) => Promise<unknown>;

function obj(value: unknown, action: string): Record<string, unknown> {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new BadRequest(`Invalid input for field/attribute ${action}. Value must be an object.`, {}, 'ValidationError');
  return value as Record<string, unknown>;
}

function connectorOf(args: Record<string, unknown>): Connector {
  const c = args.connector;
  if (typeof c !== 'object' || c === null || Array.isArray(c)) throw new BadRequest("Invalid input for field/attribute connector. 'connector' is a required property", {}, 'ValidationError');
  return c as Connector;
}

function onlyKeys(args: Record<string, unknown>, allowed: readonly string[], action: string): void {
  const extra = Object.keys(args).find((k) => !allowed.includes(k));
  if (extra !== undefined) throw new BadRequest(`Invalid input for field/attribute ${action}. Additional properties are not allowed ('${extra}' was unexpected)`, {}, 'ValidationError');
}

/** Register the action route on an app scoped to `/v3/{project_id}`. */
export function registerVolumeActionRoutes(app: FastifyInstance, api: VolumeApi, attachments: AttachmentApi): void {
  const owner = (rule: string) => (i: ActionInput) => i.ctx.authorize(rule, { projectId: i.volume.projectId });
  const actions: Readonly<Record<string, Action>> = {
    'os-extend': async (i) => {
      owner('volume:extend')(i);
      onlyKeys(i.args, ['new_size'], 'os-extend');
      if (i.args.new_size === undefined || i.args.new_size === null) throw new BadRequest("Invalid input for field/attribute os-extend. 'new_size' is a required property", {}, 'ValidationError');
      await api.extend(i.ctx, i.volume.id, parseSize(i.args.new_size, 'new_size'), i.version.atLeast('3.42'));
      return i.reply.code(202).send();
    },
    'os-retype': async (i) => {
      owner('volume:retype')(i);
      onlyKeys(i.args, ['new_type', 'migration_policy'], 'os-retype');
      if (typeof i.args.new_type !== 'string') throw new BadRequest("Invalid input for field/attribute os-retype. 'new_type' is a required property", {}, 'ValidationError');
      const policy = i.args.migration_policy === undefined || i.args.migration_policy === null ? 'never' : String(i.args.migration_policy);
      if (policy !== 'never' && policy !== 'on-demand') throw new BadRequest(`Invalid input for field/attribute migration_policy. Value: ${policy}.`, {}, 'ValidationError');
      await api.retype(i.ctx, i.volume.id, i.args.new_type, policy);
      return i.reply.code(202).send();
    },
    'os-reset_status': async (i) => {
      i.ctx.authorize('volume_extension:volume_admin_actions:reset_status', { projectId: i.volume.projectId });
      await api.resetStatus(i.ctx, i.volume.id, i.args as { status?: string; attach_status?: string; migration_status?: string });
      return i.reply.code(202).send();
    },
    'os-force_delete': async (i) => {
      i.ctx.authorize('volume:force_delete', { projectId: i.volume.projectId });
      await api.delete(i.ctx, i.volume.id, { cascade: false, force: true });
      return i.reply.code(202).send();
    },
    'os-force_detach': async (i) => {
      i.ctx.authorize('volume_extension:volume_admin_actions:force_detach', { projectId: i.volume.projectId });
      const attachmentId = typeof i.args.attachment_id === 'string' ? i.args.attachment_id : null;
      const connector = typeof i.args.connector === 'object' && i.args.connector !== null ? (i.args.connector as Connector) : null;
      await attachments.forceDetach(i.ctx, i.volume.id, attachmentId, connector);
      return i.reply.code(202).send();
    },
    'os-set_bootable': async (i) => {
      owner('volume:update')(i);
      onlyKeys(i.args, ['bootable'], 'os-set_bootable');
      if (!('bootable' in i.args)) throw new BadRequest("Invalid input for field/attribute os-set_bootable. 'bootable' is a required property", {}, 'ValidationError');
      await api.setBootable(i.ctx, i.volume.id, parseBool(i.args.bootable, 'bootable'));
      return i.reply.code(200).send();
    },
    'os-update_readonly_flag': async (i) => {
      owner('volume:volume_actions')(i);
      if (!('readonly' in i.args)) throw new BadRequest("Invalid input for field/attribute os-update_readonly_flag. 'readonly' is a required property", {}, 'ValidationError');
      await api.setReadonly(i.ctx, i.volume.id, parseBool(i.args.readonly, 'readonly'));
      return i.reply.code(202).send();
    },
    'os-volume_upload_image': async (i) => {
      owner('volume_extension:volume_actions:upload_image')(i);
      const a = i.args;
      if (typeof a.image_name !== 'string' || a.image_name.length === 0 || a.image_name.length > 255) throw new BadRequest("Invalid input for field/attribute os-volume_upload_image. 'image_name' is a required property", {}, 'ValidationError');
      const diskFormat = typeof a.disk_format === 'string' ? a.disk_format : 'raw';
      if (!['raw', 'vmdk', 'vdi', 'qcow2', 'vhd', 'vhdx', 'ploop'].includes(diskFormat)) throw new BadRequest(`Invalid input for field/attribute disk_format. Value: ${diskFormat}.`, {}, 'ValidationError');
      if (!['raw', 'qcow2'].includes(diskFormat)) throw new BadRequest(`Invalid input received: disk format ${diskFormat} is not supported by this backend (use raw or qcow2).`, {}, 'InvalidInput');
      const visibility = i.version.atLeast('3.1') && typeof a.visibility === 'string' ? a.visibility : undefined;
      if (visibility !== undefined && !['public', 'private', 'shared', 'community'].includes(visibility)) throw new BadRequest(`Invalid input for field/attribute visibility. Value: ${visibility}.`, {}, 'ValidationError');
      if (visibility === 'public') i.ctx.authorize('volume_extension:volume_actions:upload_public', { projectId: i.volume.projectId });
      const response = await api.uploadToImage(i.ctx, i.volume.id, {
        imageName: a.image_name,
        force: a.force === undefined ? false : parseBool(a.force, 'force'),
        diskFormat,
        containerFormat: typeof a.container_format === 'string' ? a.container_format : 'bare',
        ...(visibility !== undefined ? { visibility } : {}),
        ...(i.version.atLeast('3.1') && a.protected !== undefined ? { protected: parseBool(a.protected, 'protected') } : i.version.atLeast('3.1') ? { protected: false } : {}),
      });
      return i.reply.code(202).send({ 'os-volume_upload_image': response });
    },
    'os-attach': async (i) => {
      owner('volume:volume_actions')(i);
      onlyKeys(i.args, ['instance_uuid', 'mountpoint', 'host_name', 'mode'], 'os-attach');
      const a = i.args;
      if (typeof a.mountpoint !== 'string' || a.mountpoint.length === 0) throw new BadRequest("Invalid input for field/attribute os-attach. 'mountpoint' is a required property", {}, 'ValidationError');
      const instance = typeof a.instance_uuid === 'string' ? a.instance_uuid : null;
      const host = typeof a.host_name === 'string' ? a.host_name : null;
      if (instance === null && host === null) throw new BadRequest('Invalid request to attach volume to an invalid target: instance_uuid or host_name is required.', {}, 'ValidationError');
      if (instance !== null && !isUuidLike(instance)) throw new BadRequest(`Invalid input for field/attribute instance_uuid. Value: ${instance}. '${instance}' is not a 'uuid'`, {}, 'ValidationError');
      const mode = a.mode === undefined ? 'rw' : String(a.mode);
      if (!['rw', 'ro'].includes(mode)) throw new BadRequest(`Invalid input for field/attribute mode. Value: ${mode}.`, {}, 'ValidationError');
      await attachments.attach(i.ctx, i.volume.id, { instanceUuid: instance, hostName: host, mountpoint: a.mountpoint, mode });
      return i.reply.code(202).send();
    },
    'os-detach': async (i) => {
      owner('volume:volume_actions')(i);
      const attachmentId = typeof i.args.attachment_id === 'string' ? i.args.attachment_id : null;
      await attachments.detach(i.ctx, i.volume.id, attachmentId);
      return i.reply.code(202).send();
    },
    'os-reserve': async (i) => {
      owner('volume:volume_actions')(i);
      await attachments.reserve(i.ctx, i.volume.id);
      return i.reply.code(202).send();
    },
    'os-unreserve': async (i) => {
      owner('volume:volume_actions')(i);
      await attachments.unreserve(i.ctx, i.volume.id);
      return i.reply.code(202).send();
    },
    'os-begin_detaching': async (i) => {
      owner('volume:volume_actions')(i);
      await attachments.beginDetaching(i.ctx, i.volume.id);
      return i.reply.code(202).send();
    },
    'os-roll_detaching': async (i) => {
      owner('volume:volume_actions')(i);
      await attachments.rollDetaching(i.ctx, i.volume.id);
      return i.reply.code(202).send();
    },
    'os-initialize_connection': async (i) => {
      owner('volume:volume_actions')(i);
      const connector = connectorOf(i.args);
      const info = await attachments.initializeConnection(i.ctx, i.volume.id, connector);
      return i.reply.code(200).send({ connection_info: { ...info, enforce_multipath: connector.enforce_multipath === true } });
    },
    'os-terminate_connection': async (i) => {
      owner('volume:volume_actions')(i);
      await attachments.terminateConnection(i.ctx, i.volume.id, connectorOf(i.args));
      return i.reply.code(202).send();
    },
    'os-set_image_metadata': async (i) => {
      owner('volume:update_volume_metadata')(i);
      const metadata = await api.setImageMetadata(i.ctx, i.volume.id, parseMetadata(i.args.metadata));
      return i.reply.code(200).send({ metadata });
    },
    'os-unset_image_metadata': async (i) => {
      owner('volume:delete_volume_metadata')(i);
      if (typeof i.args.key !== 'string') throw new BadRequest("Invalid input for field/attribute os-unset_image_metadata. 'key' is a required property", {}, 'ValidationError');
      await api.unsetImageMetadata(i.ctx, i.volume.id, i.args.key);
      return i.reply.code(200).send();
    },
    'os-show_image_metadata': async (i) => {
      owner('volume:get_volume_metadata')(i);
      return i.reply.code(200).send({ metadata: { ...i.volume.imageMetadata } });
    },
    revert: async (i) => {
      if (!i.version.atLeast('3.40')) throw new BadRequest('There is no such action: revert', {}, 'InvalidAction');
      owner('volume:revert_to_snapshot')(i);
      if (typeof i.args.snapshot_id !== 'string') throw new BadRequest("Invalid input for field/attribute revert. 'snapshot_id' is a required property", {}, 'ValidationError');
      await api.revert(i.ctx, i.volume.id, i.args.snapshot_id);
      return i.reply.code(202).send();
    },
    'os-reimage': async (i) => {
      if (!i.version.atLeast('3.68')) throw new BadRequest('There is no such action: os-reimage', {}, 'InvalidAction');
      owner('volume:reimage')(i);
      if (typeof i.args.image_id !== 'string') throw new BadRequest("Invalid input for field/attribute os-reimage. 'image_id' is a required property", {}, 'ValidationError');
      await api.reimage(i.ctx, i.volume.id, i.args.image_id, i.args.reimage_reserved === undefined ? false : parseBool(i.args.reimage_reserved, 'reimage_reserved'));
      return i.reply.code(202).send();
    },
  };

  app.post('/volumes/:id/action', { schema: { body: { type: 'object' } } }, async (request: FastifyRequest, reply: FastifyReply) => {
    const ctx = caller(request);
    const volume = await api.get(ctx, (request.params as { id: string }).id);
    const body = request.body as Record<string, unknown>;
    const names = Object.keys(body);
    const name = names[0];
    const action = name === undefined ? undefined : actions[name];
    if (names.length !== 1 || action === undefined) throw new BadRequest(`There is no such action: ${names.join(', ') || 'None'}`, {}, 'InvalidAction');
    return action({ ctx, volume, args: obj(body[name as string], name as string), version: versionOf(request), reply });
  });
}
