/** Discovery of what this glance offers: /v2/info/import, /v2/info/stores and the /v2/schemas documents. */
import type { FastifyInstance } from 'fastify';
import { NotFound } from '@strata/errors';
import { contextOf } from '@strata/auth';
import type { ImageApi } from '../image-api.js';
import { imageSchemaDoc, imagesSchemaDoc, memberSchemaDoc, membersSchemaDoc, metadefSchemaDocs } from './image-json-schemas.js';

const SCHEMAS: Readonly<Record<string, object>> = { image: imageSchemaDoc, images: imagesSchemaDoc, member: memberSchemaDoc, members: membersSchemaDoc };

/** Register the info and schema routes. */
export function registerInfoRoutes(app: FastifyInstance, api: ImageApi): void {
  app.get('/v2/info/import', async (request) => {
    contextOf(request).authorize('get_info');
    return { 'import-methods': { description: 'Import methods available.', type: 'array', value: [...api.importMethods] } };
  });

  app.get('/v2/info/stores', async (request) => {
    contextOf(request).authorize('get_info');
    return { stores: [{ id: api.store.id, description: 'Local file store', default: true }] };
  });

  app.get('/v2/schemas/:name', async (request) => {
    contextOf(request).authorize('get_info');
    const doc = SCHEMAS[(request.params as { name: string }).name];
    if (doc === undefined) throw new NotFound('The resource could not be found.', {}, 'SchemaNotFound');
    return doc;
  });

  app.get('/v2/schemas/metadefs/:name', async (request) => {
    contextOf(request).authorize('get_info');
    const doc = metadefSchemaDocs[(request.params as { name: string }).name];
    if (doc === undefined) throw new NotFound('The resource could not be found.', {}, 'SchemaNotFound');
    return doc;
  });
}
