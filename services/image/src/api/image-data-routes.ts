/** Image data: streamed upload (PUT /file), download with ranges (GET /file), and glance-direct stage + import. */
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BadRequest } from '@strata/errors';
import { contextOf, type RequestContext } from '@strata/auth';
import type { Tracer } from '@strata/trace';
import type { ImageApi } from '../image-api.js';
import { noContent, parseRange, RangeNotSatisfiable, requireMediaType, uploadBody } from './route-helpers.js';

type IdParams = { id: string };
const OCTET = 'application/octet-stream';

async function receive(request: FastifyRequest, fn: (ctx: RequestContext, id: string, data: Readable) => Promise<void>): Promise<void> {
  const body = uploadBody(request.body as Readable);
  try {
    await fn(contextOf(request), (request.params as IdParams).id, body.stream);
  } catch (err) {
    body.discard();
    throw err;
  }
}

/** Register the data routes; the app must pass application/octet-stream bodies through as streams. */
export function registerImageDataRoutes(app: FastifyInstance, api: ImageApi, tracer: Tracer): void {
  app.put('/v2/images/:id/file', { onRequest: requireMediaType(OCTET) }, async (request, reply) => {
    await receive(request, (ctx, id, data) => api.upload(ctx, id, data));
    return noContent(reply);
  });

  app.put('/v2/images/:id/stage', { onRequest: requireMediaType(OCTET) }, async (request, reply) => {
    await receive(request, (ctx, id, data) => api.stage(ctx, id, data));
    return noContent(reply);
  });

  app.post('/v2/images/:id/import', async (request, reply) => {
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequest('Request body must be a JSON object.', {}, 'InvalidBody');
    await api.import(contextOf(request), (request.params as IdParams).id, body as { method?: { name?: unknown } });
    return reply.code(202).send();
  });

  app.get('/v2/images/:id/file', async (request: FastifyRequest, reply: FastifyReply) => {
    const trace = tracer.begin(request.globalRequestId ?? request.id);
    trace.record({ step: 23, component: 'glance-api', kind: 'db', startedAt: Date.now(), durationMs: 0, outcome: 'ok', detail: 'glance-api reads the image metadata itself (v2, no registry)' });
    let got;
    try {
      got = await api.download(contextOf(request), (request.params as IdParams).id, (size) => parseRange(request, size), trace);
    } catch (err) {
      if (err instanceof RangeNotSatisfiable) reply.header('content-range', `bytes */${err.size}`);
      throw err;
    }
    if (got.kind === 'empty') return noContent(reply);
    const started = Date.now();
    const partial = got.length !== got.size;
    let sent = 0;
    got.stream.on('data', (chunk: Buffer) => (sent += chunk.length));
    reply.raw.once('close', () => {
      const ok = sent === got.length;
      trace.record({ step: 27, component: 'glance-api', kind: 'http', startedAt: started, durationMs: Date.now() - started, outcome: ok ? 'ok' : 'error', detail: ok ? `streamed ${sent} bytes` : `client went away after ${sent} of ${got.length} bytes` });
      if (!got.stream.destroyed) got.stream.destroy();
    });
    reply.header('content-type', OCTET).header('content-length', String(got.length));
    if (got.image.checksum !== null) reply.header('content-md5', got.image.checksum);
    if (partial) reply.code(206).header('content-range', `bytes ${got.offset}-${got.offset + got.length - 1}/${got.size}`);
    return reply.send(got.stream);
  });
}
