/** /qos-specs: QoS specs and their association with volume types (admin). */
import type { FastifyInstance } from 'fastify';
import { BadRequest, NotFound } from '@strata/errors';
import { queryString, type Query } from '@strata/http';
import { isUuidLike, parseBool } from '../api-support.js';
import { QosSpecNotFound, QosSpecStore, type QosSpec } from '../objects/qos-spec.js';
import type { VolumeApi } from '../volume-api.js';
import { caller, viewOf } from './route-helpers.js';
import { resourceLinks, type ViewContext } from './view-helpers.js';

const CONSUMERS = ['front-end', 'back-end', 'both'];

function qosView(q: QosSpec): Record<string, unknown> {
  return { id: q.id, name: q.name, consumer: q.consumer, specs: { ...q.specs } };
}

/** Register the QoS routes on an app scoped to `/v3/{project_id}`. */
export function registerQosRoutes(app: FastifyInstance, api: VolumeApi, store: QosSpecStore): void {
  const get = async (id: string): Promise<QosSpec> => {
    if (!isUuidLike(id)) throw new QosSpecNotFound(id);
    return store.get(id);
  };
  const withLinks = (q: QosSpec, vc: ViewContext) => ({ qos_specs: qosView(q), links: resourceLinks(vc, 'qos-specs', q.id) });

  app.get('/qos-specs', async (request) => {
    const ctx = caller(request);
    ctx.authorize('volume_extension:qos_specs_manage:get_all');
    return { qos_specs: (await store.list()).map(qosView) };
  });
  app.get('/qos-specs/:id', async (request) => {
    const ctx = caller(request);
    ctx.authorize('volume_extension:qos_specs_manage:get');
    return withLinks(await get((request.params as { id: string }).id), viewOf(request, ctx));
  });
  app.post('/qos-specs', { schema: { body: { type: 'object', required: ['qos_specs'], properties: { qos_specs: { type: 'object' } } } } }, async (request) => {
    const ctx = caller(request);
    ctx.authorize('volume_extension:qos_specs_manage:create');
    const body = { ...((request.body as { qos_specs: Record<string, unknown> }).qos_specs) };
    const name = body.name;
    if (typeof name !== 'string' || name.trim() === '' || name.length > 255) throw new BadRequest('Invalid input for field/attribute name. Please specify a name for QoS specs.', {}, 'ValidationError');
    const consumer = body.consumer === undefined ? 'back-end' : String(body.consumer);
    if (!CONSUMERS.includes(consumer)) throw new BadRequest(`Invalid input received: Valid consumer of QoS specs are: ${CONSUMERS.join(', ')}`, {}, 'InvalidQoSSpecs');
    delete body.name;
    delete body.consumer;
    const specs: Record<string, string> = {};
    for (const [k, v] of Object.entries(body)) specs[k] = String(v);
    return withLinks(await store.create(name.trim(), consumer, specs), viewOf(request, ctx));
  });
  app.put('/qos-specs/:id', { schema: { body: { type: 'object', required: ['qos_specs'], properties: { qos_specs: { type: 'object' } } } } }, async (request) => {
    const ctx = caller(request);
    ctx.authorize('volume_extension:qos_specs_manage:update');
    const q = await get((request.params as { id: string }).id);
    const body = (request.body as { qos_specs: Record<string, unknown> }).qos_specs;
    const specs: Record<string, string> = { ...q.specs };
    for (const [k, v] of Object.entries(body)) {
      if (k === 'consumer') {
        if (!CONSUMERS.includes(String(v))) throw new BadRequest(`Invalid input received: Valid consumer of QoS specs are: ${CONSUMERS.join(', ')}`, {}, 'InvalidQoSSpecs');
        await store.setConsumer(q.id, String(v));
      } else specs[k] = String(v);
    }
    await store.setSpecs(q.id, specs);
    return { qos_specs: Object.fromEntries(Object.entries(body).map(([k, v]) => [k, String(v)])) };
  });
  app.put('/qos-specs/:id/delete_keys', { schema: { body: { type: 'object', required: ['keys'], properties: { keys: { type: 'array' } } } } }, async (request, reply) => {
    const ctx = caller(request);
    ctx.authorize('volume_extension:qos_specs_manage:update');
    const q = await get((request.params as { id: string }).id);
    const keys = (request.body as { keys: unknown[] }).keys.map(String);
    const specs = { ...q.specs };
    for (const k of keys) {
      if (!(k in specs)) throw new NotFound(`QoS spec ${q.id} has no key ${k}.`, {}, 'QoSSpecsKeyNotFound');
      delete specs[k];
    }
    await store.setSpecs(q.id, specs);
    return reply.code(202).send();
  });
  app.delete('/qos-specs/:id', async (request, reply) => {
    const ctx = caller(request);
    ctx.authorize('volume_extension:qos_specs_manage:delete');
    const q = await get((request.params as { id: string }).id);
    const force = queryString(request.query as Query, 'force');
    const associated = await api.types.withQos(q.id);
    if (associated.length > 0) {
      if (force === undefined || !parseBool(force, 'force')) throw new BadRequest(`QoS Specs ${q.id} is still associated with entities.`, {}, 'QoSSpecsInUse');
      for (const t of associated) await api.types.setQos(t.id, null);
    }
    await store.remove(q.id);
    return reply.code(202).send();
  });
  app.get('/qos-specs/:id/associations', async (request) => {
    const ctx = caller(request);
    ctx.authorize('volume_extension:qos_specs_manage:get');
    const q = await get((request.params as { id: string }).id);
    return { qos_associations: (await api.types.withQos(q.id)).map((t) => ({ association_type: 'volume_type', name: t.name, id: t.id })) };
  });
  const typeArg = async (request: { query: unknown }) => {
    const id = queryString(request.query as Query, 'vol_type_id');
    if (id === undefined) throw new BadRequest('Volume Type id must not be None.', {}, 'InvalidInput');
    const t = await api.types.find(id);
    if (t === undefined) throw new NotFound(`Volume type ${id} could not be found.`, {}, 'VolumeTypeNotFound');
    return t;
  };
  app.get('/qos-specs/:id/associate', async (request, reply) => {
    const ctx = caller(request);
    ctx.authorize('volume_extension:qos_specs_manage:update');
    const q = await get((request.params as { id: string }).id);
    const t = await typeArg(request);
    if (t.qosSpecsId !== null && t.qosSpecsId !== q.id) throw new BadRequest(`Type ${t.id} is already associated with another qos specs: ${t.qosSpecsId}`, {}, 'InvalidVolumeType');
    await api.types.setQos(t.id, q.id);
    return reply.code(202).send();
  });
  app.get('/qos-specs/:id/disassociate', async (request, reply) => {
    const ctx = caller(request);
    ctx.authorize('volume_extension:qos_specs_manage:update');
    await get((request.params as { id: string }).id);
    const t = await typeArg(request);
    await api.types.setQos(t.id, null);
    return reply.code(202).send();
  });
  app.get('/qos-specs/:id/disassociate_all', async (request, reply) => {
    const ctx = caller(request);
    ctx.authorize('volume_extension:qos_specs_manage:update');
    const q = await get((request.params as { id: string }).id);
    for (const t of await api.types.withQos(q.id)) await api.types.setQos(t.id, null);
    return reply.code(202).send();
  });
}
