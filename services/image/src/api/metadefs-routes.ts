/** /v2/metadefs: metadata definition namespaces, resource types, objects, properties and tags. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest } from '@strata/errors';
import { contextOf } from '@strata/auth';
import { queryString, type Query } from '@strata/http';
import type { MetadefApi, NamespaceDetail } from '../metadef-api.js';
import type { MetadefAssociation, MetadefItem, MetadefNamespace } from '../objects/metadef.js';
import { glanceTime } from './images-views.js';
import { noContent } from './route-helpers.js';

type NsParams = { ns: string };
type ItemParams = { ns: string; name: string };
type Body = Record<string, unknown>;

function body(request: FastifyRequest): Body {
  const b = request.body;
  if (typeof b !== 'object' || b === null || Array.isArray(b)) throw new BadRequest('Request body must be a JSON object.', {}, 'InvalidBody');
  return b as Body;
}

function times(x: { createdAt: string; updatedAt: string }): object {
  return { created_at: glanceTime(x.createdAt), updated_at: glanceTime(x.updatedAt) };
}

function associationView(a: MetadefAssociation): object {
  return { name: a.resourceType, ...(a.prefix !== null ? { prefix: a.prefix } : {}), ...(a.propertiesTarget !== null ? { properties_target: a.propertiesTarget } : {}), ...times(a) };
}

function namespaceView(ns: MetadefNamespace): Record<string, unknown> {
  return {
    namespace: ns.namespace,
    ...(ns.displayName !== null ? { display_name: ns.displayName } : {}),
    ...(ns.description !== null ? { description: ns.description } : {}),
    visibility: ns.visibility,
    protected: ns.protected,
    owner: ns.owner,
    ...times(ns),
    schema: '/v2/schemas/metadefs/namespace',
    self: `/v2/metadefs/namespaces/${encodeURIComponent(ns.namespace)}`,
  };
}

function objectView(ns: string, o: MetadefItem): object {
  return { ...o.body, name: o.name, ...times(o), schema: '/v2/schemas/metadefs/object', self: `/v2/metadefs/namespaces/${encodeURIComponent(ns)}/objects/${encodeURIComponent(o.name)}` };
}

function propertyView(p: MetadefItem): object {
  return { ...p.body, name: p.name };
}

function tagView(t: MetadefItem): object {
  return { name: t.name, ...times(t) };
}

function detailView(d: NamespaceDetail): object {
  const ns = d.namespace.namespace;
  return {
    ...namespaceView(d.namespace),
    ...(d.associations.length > 0 ? { resource_type_associations: d.associations.map(associationView) } : {}),
    ...(d.properties.length > 0 ? { properties: Object.fromEntries(d.properties.map((p) => [p.name, p.body])) } : {}),
    ...(d.objects.length > 0 ? { objects: d.objects.map((o) => objectView(ns, o)) } : {}),
    ...(d.tags.length > 0 ? { tags: d.tags.map(tagView) } : {}),
  };
}

/** Register the metadefs routes. */
export function registerMetadefsRoutes(app: FastifyInstance, api: MetadefApi): void {
  const base = '/v2/metadefs/namespaces';

  app.get(base, async (request) => {
    const q = request.query as Query;
    const rt = queryString(q, 'resource_types');
    const visibility = queryString(q, 'visibility');
    const list = await api.listNamespaces(contextOf(request), { ...(rt !== undefined ? { resourceTypes: rt.split(',') } : {}), ...(visibility !== undefined ? { visibility } : {}) });
    return { namespaces: list.map(detailView), first: base, schema: '/v2/schemas/metadefs/namespaces' };
  });
  app.post(base, async (request, reply) => reply.code(201).send(detailView(await api.createNamespace(contextOf(request), body(request)))));
  app.get(`${base}/:ns`, async (request) => detailView(await api.detail(await api.namespace(contextOf(request), (request.params as NsParams).ns))));
  app.put(`${base}/:ns`, async (request) => namespaceView(await api.updateNamespace(contextOf(request), (request.params as NsParams).ns, body(request))));
  app.delete(`${base}/:ns`, async (request, reply) => {
    await api.deleteNamespace(contextOf(request), (request.params as NsParams).ns);
    return noContent(reply);
  });

  // ---- resource types -----------------------------------------------------------------
  app.get('/v2/metadefs/resource_types', async (request) => {
    contextOf(request).authorize('get_metadef');
    return { resource_types: (await api.repo.listResourceTypes()).map((r) => ({ name: r.name, ...times(r) })) };
  });
  app.get(`${base}/:ns/resource_types`, async (request) => {
    const ns = await api.namespace(contextOf(request), (request.params as NsParams).ns);
    return { resource_type_associations: (await api.repo.associations(ns.id)).map(associationView) };
  });
  app.post(`${base}/:ns/resource_types`, async (request, reply) => {
    const ctx = contextOf(request);
    const ns = await api.namespace(ctx, (request.params as NsParams).ns, true);
    return reply.code(201).send(associationView(await api.associate(ctx, ns, body(request))));
  });
  app.delete(`${base}/:ns/resource_types/:name`, async (request, reply) => {
    const { ns, name } = request.params as ItemParams;
    await api.dissociate(contextOf(request), ns, name);
    return noContent(reply);
  });

  // ---- objects and properties ---------------------------------------------------------
  for (const [path, kind] of [['objects', 'object'], ['properties', 'property']] as const) {
    const view = (ns: string, i: MetadefItem): object => (kind === 'object' ? objectView(ns, i) : propertyView(i));
    app.get(`${base}/:ns/${path}`, async (request) => {
      const ns = await api.namespace(contextOf(request), (request.params as NsParams).ns);
      const items = await api.repo.items(ns.id, kind);
      if (kind === 'property') return { properties: Object.fromEntries(items.map((p) => [p.name, p.body])) };
      return { objects: items.map((o) => objectView(ns.namespace, o)), schema: '/v2/schemas/metadefs/objects' };
    });
    app.post(`${base}/:ns/${path}`, async (request, reply) => {
      const ctx = contextOf(request);
      const ns = await api.namespace(ctx, (request.params as NsParams).ns, true);
      return reply.code(201).send(view(ns.namespace, await api.createItem(ctx, ns, kind, body(request))));
    });
    app.get(`${base}/:ns/${path}/:name`, async (request) => {
      const { ns: nsName, name } = request.params as ItemParams;
      const ns = await api.namespace(contextOf(request), nsName);
      return view(ns.namespace, await api.item(ns, kind, name));
    });
    app.put(`${base}/:ns/${path}/:name`, async (request) => {
      const { ns: nsName, name } = request.params as ItemParams;
      const ctx = contextOf(request);
      const ns = await api.namespace(ctx, nsName, true);
      return view(ns.namespace, await api.updateItem(ctx, ns, kind, name, body(request)));
    });
    app.delete(`${base}/:ns/${path}/:name`, async (request, reply) => {
      const { ns: nsName, name } = request.params as ItemParams;
      const ctx = contextOf(request);
      await api.deleteItem(ctx, await api.namespace(ctx, nsName, true), kind, name);
      return noContent(reply);
    });
  }
  app.delete(`${base}/:ns/objects`, async (request, reply) => {
    const ctx = contextOf(request);
    const ns = await api.namespace(ctx, (request.params as NsParams).ns, true);
    ctx.authorize('manage_metadef');
    await api.repo.deleteItems(ns.id, 'object');
    return noContent(reply);
  });
  app.delete(`${base}/:ns/properties`, async (request, reply) => {
    const ctx = contextOf(request);
    const ns = await api.namespace(ctx, (request.params as NsParams).ns, true);
    ctx.authorize('manage_metadef');
    await api.repo.deleteItems(ns.id, 'property');
    return noContent(reply);
  });

  // ---- tags -------------------------------------------------------------------------
  app.get(`${base}/:ns/tags`, async (request) => {
    const ns = await api.namespace(contextOf(request), (request.params as NsParams).ns);
    return { tags: (await api.repo.items(ns.id, 'tag')).map(tagView) };
  });
  app.post(`${base}/:ns/tags`, async (request, reply) => {
    const ctx = contextOf(request);
    const ns = await api.namespace(ctx, (request.params as NsParams).ns, true);
    return reply.code(201).send({ tags: (await api.replaceTags(ctx, ns, body(request).tags)).map((t) => ({ name: t.name })) });
  });
  app.delete(`${base}/:ns/tags`, async (request, reply) => {
    const ctx = contextOf(request);
    const ns = await api.namespace(ctx, (request.params as NsParams).ns, true);
    ctx.authorize('manage_metadef');
    await api.repo.deleteItems(ns.id, 'tag');
    return noContent(reply);
  });
  app.post(`${base}/:ns/tags/:name`, async (request, reply) => {
    const { ns: nsName, name } = request.params as ItemParams;
    const ctx = contextOf(request);
    const ns = await api.namespace(ctx, nsName, true);
    return reply.code(201).send(tagView(await api.createItem(ctx, ns, 'tag', { name })));
  });
  app.get(`${base}/:ns/tags/:name`, async (request) => {
    const { ns: nsName, name } = request.params as ItemParams;
    const ns = await api.namespace(contextOf(request), nsName);
    return tagView(await api.item(ns, 'tag', name));
  });
  app.put(`${base}/:ns/tags/:name`, async (request) => {
    const { ns: nsName, name } = request.params as ItemParams;
    const ctx = contextOf(request);
    const ns = await api.namespace(ctx, nsName, true);
    return tagView(await api.updateItem(ctx, ns, 'tag', name, body(request)));
  });
  app.delete(`${base}/:ns/tags/:name`, async (request, reply) => {
    const { ns: nsName, name } = request.params as ItemParams;
    const ctx = contextOf(request);
    await api.deleteItem(ctx, await api.namespace(ctx, nsName, true), 'tag', name);
    return noContent(reply);
  });
}
