/** /messages (3.3+): user messages about failures after a 202 (e.g. which scheduler filters rejected a volume). */
import type { FastifyInstance } from 'fastify';
import { isUuidLike, visibleTo } from '../api-support.js';
import { MessageNotFound, MessageStore, type UserMessage } from '../objects/message.js';
import { caller, requireVersion } from './route-helpers.js';
import { cinderTime, resourceLinks, type ViewContext } from './view-helpers.js';
import { viewOf } from './route-helpers.js';
import { queryString, type Query } from '@strata/http';

function messageView(m: UserMessage, vc: ViewContext): Record<string, unknown> {
  return {
    id: m.id,
    event_id: m.eventId,
    user_message: m.userMessage,
    message_level: m.messageLevel,
    resource_type: m.resourceType,
    ...(m.resourceUuid !== null ? { resource_uuid: m.resourceUuid } : {}),
    created_at: cinderTime(m.createdAt),
    guaranteed_until: cinderTime(m.expiresAt),
    request_id: m.requestId,
    links: resourceLinks(vc, 'messages', m.id),
  };
}

/** Register the message routes on an app scoped to `/v3/{project_id}`. */
export function registerMessageRoutes(app: FastifyInstance, messages: MessageStore): void {
  const visible = async (ctx: ReturnType<typeof caller>, id: string): Promise<UserMessage> => {
    const m = isUuidLike(id) ? await messages.get(id).catch(() => undefined) : undefined;
    if (m === undefined || !visibleTo(ctx, m.projectId)) throw new MessageNotFound(id);
    return m;
  };
  app.get('/messages', async (request) => {
    requireVersion(request, '3.3');
    const ctx = caller(request);
    ctx.authorize('message:get_all', { projectId: ctx.projectId ?? null });
    const resource = queryString(request.query as Query, 'resource_uuid');
    const list = await messages.list({ ...(ctx.isAdmin ? {} : { projectId: ctx.projectId ?? '' }), ...(resource !== undefined ? { resourceUuid: resource } : {}) });
    const vc = viewOf(request, ctx);
    return { messages: list.map((m) => messageView(m, vc)) };
  });
  app.get('/messages/:id', async (request) => {
    requireVersion(request, '3.3');
    const ctx = caller(request);
    const m = await visible(ctx, (request.params as { id: string }).id);
    ctx.authorize('message:get', { projectId: m.projectId });
    return { message: messageView(m, viewOf(request, ctx)) };
  });
  app.delete('/messages/:id', async (request, reply) => {
    requireVersion(request, '3.3');
    const ctx = caller(request);
    const m = await visible(ctx, (request.params as { id: string }).id);
    ctx.authorize('message:delete', { projectId: m.projectId });
    await messages.remove(m.id);
    return reply.code(204).send();
  });
}
