/** The deprecated image proxy (/v2.1/images, removed at 2.36): glance images in nova's shape. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest, Forbidden, NotFound, OpenStackError } from '@strata/errors';
import { queryString, type Query } from '@strata/http';
import type { ComputeApi } from '../compute-api.js';
import { baseOf, metadataField, proxyContext } from './route-helpers.js';
import { isoZ } from './view-helpers.js';

const CORE = new Set(['id', 'name', 'status', 'size', 'min_ram', 'min_disk', 'checksum', 'os_hash_algo', 'os_hash_value', 'disk_format', 'container_format', 'visibility', 'protected', 'os_hidden', 'owner', 'tags', 'created_at', 'updated_at', 'self', 'file', 'schema', 'virtual_size', 'locations', 'direct_url', 'stores']);

const STATUS: Readonly<Record<string, [string, number]>> = {
  active: ['ACTIVE', 100],
  saving: ['SAVING', 25],
  queued: ['SAVING', 25],
  importing: ['SAVING', 25],
  uploading: ['SAVING', 25],
  killed: ['ERROR', 0],
  deleted: ['DELETED', 0],
  pending_delete: ['DELETED', 0],
  deactivated: ['ERROR', 0],
};

function metadataOf(img: Record<string, unknown>): Record<string, string> {
  const md: Record<string, string> = {};
  for (const [k, v] of Object.entries(img)) if (!CORE.has(k) && v !== null && v !== undefined) md[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return md;
}

function imageView(img: Record<string, unknown>, base: string): Record<string, unknown> {
  const id = String(img.id);
  const [status, progress] = STATUS[String(img.status)] ?? ['UNKNOWN', 0];
  const md = metadataOf(img);
  const out: Record<string, unknown> = {
    id,
    name: typeof img.name === 'string' ? img.name : null,
    status,
    progress,
    minRam: Number(img.min_ram ?? 0),
    minDisk: Number(img.min_disk ?? 0),
    metadata: md,
    created: isoZ(String(img.created_at ?? new Date().toISOString())),
    updated: isoZ(String(img.updated_at ?? img.created_at ?? new Date().toISOString())),
    links: [
      { rel: 'self', href: `${base}/v2.1/images/${id}` },
      { rel: 'bookmark', href: `${base}/images/${id}` },
      { rel: 'alternate', type: 'application/vnd.openstack.image', href: `${base}/images/${id}` },
    ],
    'OS-EXT-IMG-SIZE:size': typeof img.size === 'number' ? img.size : null,
    'OS-DCF:diskConfig': 'MANUAL',
  };
  if (typeof md.instance_uuid === 'string') out.server = { id: md.instance_uuid, links: [{ rel: 'self', href: `${base}/v2.1/servers/${md.instance_uuid}` }, { rel: 'bookmark', href: `${base}/servers/${md.instance_uuid}` }] };
  return out;
}

/** Register the image proxy. */
export function registerImageProxyRoutes(app: FastifyInstance, api: ComputeApi): void {
  const guard = (request: FastifyRequest): { token: string; rid: string | undefined } => {
    const ctx = proxyContext(request);
    return { token: ctx.authToken, rid: ctx.globalRequestId };
  };
  const getImage = async (request: FastifyRequest): Promise<Record<string, unknown>> => {
    const { token, rid } = guard(request);
    const id = (request.params as { id: string }).id;
    const img = await api.images.getRaw(token, id, rid);
    if (img === undefined) throw new NotFound('Image not found.', {}, 'ImageNotFound');
    return img;
  };
  const list = async (request: FastifyRequest): Promise<Array<Record<string, unknown>>> => {
    const { token, rid } = guard(request);
    const q = request.query as Query;
    const glanceQuery: Record<string, string> = {};
    const name = queryString(q, 'name');
    if (name !== undefined) glanceQuery.name = name;
    const status = queryString(q, 'status');
    let images = await api.images.listRaw(token, glanceQuery, rid);
    if (status !== undefined) images = images.filter((i) => (STATUS[String(i.status)]?.[0] ?? 'UNKNOWN') === status.toUpperCase());
    const server = queryString(q, 'server');
    if (server !== undefined) images = images.filter((i) => i.instance_uuid === server.split('/').pop());
    const type = queryString(q, 'type');
    if (type !== undefined) images = images.filter((i) => (i.image_type === 'snapshot' ? 'snapshot' : 'base') === type);
    const since = queryString(q, 'changes-since');
    if (since !== undefined) {
      const t = Date.parse(since);
      if (Number.isNaN(t)) throw new BadRequest(`Invalid changes-since value: ${since}`, {}, 'InvalidInput');
      images = images.filter((i) => Date.parse(String(i.updated_at)) >= t);
    }
    const minRam = queryString(q, 'minRam');
    if (minRam !== undefined) images = images.filter((i) => Number(i.min_ram ?? 0) >= Number(minRam));
    const minDisk = queryString(q, 'minDisk');
    if (minDisk !== undefined) images = images.filter((i) => Number(i.min_disk ?? 0) >= Number(minDisk));
    const marker = queryString(q, 'marker');
    if (marker !== undefined) {
      const idx = images.findIndex((i) => i.id === marker);
      if (idx < 0) throw new BadRequest(`marker [${marker}] not found`, {}, 'MarkerNotFound');
      images = images.slice(idx + 1);
    }
    const limit = queryString(q, 'limit');
    if (limit !== undefined) images = images.slice(0, Number(limit));
    return images;
  };

  app.get('/v2.1/images', async (request) => ({ images: (await list(request)).map((i) => { const v = imageView(i, baseOf(request)); return { id: v.id, name: v.name, links: v.links }; }) }));
  app.get('/v2.1/images/detail', async (request) => ({ images: (await list(request)).map((i) => imageView(i, baseOf(request))) }));
  app.get('/v2.1/images/:id', async (request) => ({ image: imageView(await getImage(request), baseOf(request)) }));
  app.delete('/v2.1/images/:id', async (request, reply) => {
    const { token, rid } = guard(request);
    const id = (request.params as { id: string }).id;
    try {
      await api.images.deleteStrict(token, id, rid);
    } catch (err) {
      if (err instanceof OpenStackError && err.status === 404) throw new NotFound('Image not found.', {}, 'ImageNotFound');
      if (err instanceof OpenStackError && err.status === 403) throw new Forbidden('You are not allowed to delete the image.', {}, 'ImageNotAuthorized');
      throw err;
    }
    return reply.code(204).send();
  });

  // Image metadata (glance properties).
  const setProps = async (request: FastifyRequest, props: Record<string, string>, replace: boolean): Promise<Record<string, string>> => {
    const { token, rid } = guard(request);
    const img = await getImage(request);
    const current = metadataOf(img);
    const ops: Array<Record<string, unknown>> = [];
    if (replace) for (const k of Object.keys(current)) if (!(k in props)) ops.push({ op: 'remove', path: `/${k}` });
    for (const [k, v] of Object.entries(props)) ops.push({ op: k in current ? 'replace' : 'add', path: `/${k}`, value: v });
    const updated = ops.length === 0 ? img : await api.images.patch(token, String(img.id), ops, rid);
    return metadataOf(updated);
  };
  app.get('/v2.1/images/:id/metadata', async (request) => ({ metadata: metadataOf(await getImage(request)) }));
  app.post('/v2.1/images/:id/metadata', async (request) => ({ metadata: await setProps(request, metadataField((request.body as { metadata?: unknown } | undefined)?.metadata), false) }));
  app.put('/v2.1/images/:id/metadata', async (request) => ({ metadata: await setProps(request, metadataField((request.body as { metadata?: unknown } | undefined)?.metadata), true) }));
  app.get('/v2.1/images/:id/metadata/:key', async (request) => {
    const md = metadataOf(await getImage(request));
    const key = (request.params as { key: string }).key;
    if (md[key] === undefined) throw new NotFound('Invalid metadata key', {}, 'MetadataItemNotFound');
    return { meta: { [key]: md[key] } };
  });
  app.put('/v2.1/images/:id/metadata/:key', async (request) => {
    const key = (request.params as { key: string }).key;
    const meta = metadataField((request.body as { meta?: unknown } | undefined)?.meta, 'meta');
    if (Object.keys(meta).length !== 1 || meta[key] === undefined) throw new BadRequest('Request body and URI mismatch', {}, 'ValidationError');
    await setProps(request, meta, false);
    return { meta };
  });
  app.delete('/v2.1/images/:id/metadata/:key', async (request, reply) => {
    const { token, rid } = guard(request);
    const img = await getImage(request);
    const key = (request.params as { key: string }).key;
    if (metadataOf(img)[key] === undefined) throw new NotFound('Invalid metadata key', {}, 'MetadataItemNotFound');
    await api.images.patch(token, String(img.id), [{ op: 'remove', path: `/${key}` }], rid);
    return reply.code(204).send();
  });
}
