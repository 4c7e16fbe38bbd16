/** /v2/images: create, list, show, JSON-patch update, delete, tags, deactivate/reactivate and import tasks. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest } from '@strata/errors';
import { contextOf } from '@strata/auth';
import { requestBaseUrl, type Query } from '@strata/http';
import type { ImageApi } from '../image-api.js';
import { parseListQuery } from '../image-filters.js';
import { PATCH_V20, PATCH_V21, parsePatch } from '../json-patch.js';
import { imageView, taskView } from './images-views.js';
import { mediaTypeOf, noContent, requireMediaType } from './route-helpers.js';

type IdParams = { id: string };
type TagParams = { id: string; tag: string };

/** The query string of a request without `marker`, for `first` and `next` links. */
function pageParams(request: FastifyRequest): URLSearchParams {
  const params = new URLSearchParams(request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '');
  params.delete('marker');
  return params;
}

/** Register the image routes. */
export function registerImagesRoutes(app: FastifyInstance, api: ImageApi): void {
  const storeId = api.store.id;

  app.post('/v2/images', async (request, reply) => {
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequest('Request body must be a JSON object.', {}, 'InvalidBody');
    const image = await api.create(contextOf(request), body as Record<string, unknown>);
    if (api.importMethods.length > 0) reply.header('openstack-image-import-methods', api.importMethods.join(','));
    reply.header('location', `${requestBaseUrl(request)}/v2/images/${image.id}`);
    return reply.code(201).send(imageView(image, storeId));
  });

  app.get('/v2/images', async (request) => {
    const page = await api.list(contextOf(request), parseListQuery(request.query as Query));
    const params = pageParams(request);
    const query = params.toString();
    const body: Record<string, unknown> = {
      images: page.images.map((i) => imageView(i, storeId)),
      first: query === '' ? '/v2/images' : `/v2/images?${query}`,
      schema: '/v2/schemas/images',
    };
    if (page.nextMarker !== undefined) {
      params.set('marker', page.nextMarker);
      body.next = `/v2/images?${params.toString()}`;
    }
    return body;
  });

  app.get('/v2/images/:id', async (request) => imageView(await api.get(contextOf(request), (request.params as IdParams).id), storeId));

  app.patch('/v2/images/:id', { onRequest: requireMediaType(PATCH_V21, PATCH_V20) }, async (request) => {
    const mt = mediaTypeOf(request) === PATCH_V20 ? PATCH_V20 : PATCH_V21;
    const ops = parsePatch(request.body, mt);
    return imageView(await api.update(contextOf(request), (request.params as IdParams).id, ops, mt), storeId);
  });

  app.delete('/v2/images/:id', async (request, reply) => {
    await api.delete(contextOf(request), (request.params as IdParams).id);
    return noContent(reply);
  });

  app.post('/v2/images/:id/actions/deactivate', async (request, reply) => {
    await api.setActive(contextOf(request), (request.params as IdParams).id, false);
    return noContent(reply);
  });

  app.post('/v2/images/:id/actions/reactivate', async (request, reply) => {
    await api.setActive(contextOf(request), (request.params as IdParams).id, true);
    return noContent(reply);
  });

  app.put('/v2/images/:id/tags/:tag', async (request, reply) => {
    const { id, tag } = request.params as TagParams;
    await api.addTag(contextOf(request), id, tag);
    return noContent(reply);
  });

  app.delete('/v2/images/:id/tags/:tag', async (request, reply) => {
    const { id, tag } = request.params as TagParams;
    await api.removeTag(contextOf(request), id, tag);
    return noContent(reply);
  });

  app.get('/v2/images/:id/tasks', async (request) => ({ tasks: (await api.imageTasks(contextOf(request), (request.params as IdParams).id)).map(taskView) }));
}
