/** The standard list, show, create, update and delete routes of one neutron collection. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Tracer } from '@strata/trace';
import type { NeutronContext } from '../neutron-context.js';
import { callerOf, checkAttributes, createItems, fieldsOf, locationOf, single } from './route-helpers.js';
import { listResponse, parseListQuery, project, type View } from './list-query.js';

/** A request body of one resource, before its attributes are converted. */
type Body = Record<string, unknown>;

/**
 * How one collection is read and written; an operation left out gets no route.
 * Each operation receives the request too, for callers that trace it.
 */
export interface ResourceRoutes<T> {
  /** The path under /v2.0, e.g. `security-groups` or `metering/metering-labels`. */
  readonly path: string;
  /** The body key of one resource, e.g. `security_group`; the collection key is this plus `s`. */
  readonly member: string;
  /** The views of the resources of one response, in order (one call per response, so lookups can be batched). */
  readonly view: (ctx: NeutronContext, items: readonly T[]) => readonly View[] | Promise<readonly View[]>;
  /** `GET /v2.0/<path>`: the resources the query selects; list semantics (filters, sorting, pages, fields) are applied to their views. */
  readonly list?: (ctx: NeutronContext, request: FastifyRequest) => Promise<readonly T[]>;
  /** `GET /v2.0/<path>/:id`. */
  readonly get?: (ctx: NeutronContext, id: string, request: FastifyRequest) => Promise<T>;
  /**
   * `POST /v2.0/<path>` (201), with each body checked against `attrs`: `one` takes only `{"<member>": {...}}`;
   * `bulk` also takes `{"<member>s": [...]}` and answers in the form it was asked.
   */
  readonly create?:
    | { readonly attrs: readonly string[]; readonly one: (ctx: NeutronContext, body: Body, request: FastifyRequest) => Promise<T> }
    | { readonly attrs: readonly string[]; readonly bulk: (ctx: NeutronContext, bodies: readonly Body[], request: FastifyRequest) => Promise<readonly T[]> };
  /** `PUT /v2.0/<path>/:id`, with the body checked against `attrs`. */
  readonly update?: { readonly attrs: readonly string[]; readonly run: (ctx: NeutronContext, id: string, body: Body, request: FastifyRequest) => Promise<T> };
  /** `DELETE /v2.0/<path>/:id` (204). */
  readonly delete?: (ctx: NeutronContext, id: string, request: FastifyRequest) => Promise<void>;
}

function idOf(request: FastifyRequest): string {
  return (request.params as { id: string }).id;
}

/** Register the routes `r` defines. */
export function registerResourceRoutes<T>(app: FastifyInstance, tracer: Tracer, r: ResourceRoutes<T>): void {
  const base = `/v2.0/${r.path}`;
  const collection = `${r.member}s`;
  const viewOne = async (ctx: NeutronContext, item: T): Promise<View> => (await r.view(ctx, [item]))[0]!;
  const { list, get, create, update } = r;
  const remove = r.delete;

  if (list !== undefined) {
    app.get(base, async (request) => {
      const ctx = callerOf(request, tracer);
      const views = await r.view(ctx, await list(ctx, request));
      return listResponse(views, parseListQuery(request.query as never), locationOf(request, collection));
    });
  }

  if (get !== undefined) {
    app.get(`${base}/:id`, async (request) => {
      const ctx = callerOf(request, tracer);
      return { [r.member]: project(await viewOne(ctx, await get(ctx, idOf(request), request)), fieldsOf(request)) };
    });
  }

  if (create !== undefined) {
    app.post(base, async (request, reply) => {
      const ctx = callerOf(request, tracer);
      if ('one' in create) {
        const b = single(request, r.member);
        checkAttributes(b, create.attrs);
        return reply.code(201).send({ [r.member]: await viewOne(ctx, await create.one(ctx, b, request)) });
      }
      const { items, bulk } = createItems(request, r.member, collection);
      for (const i of items) checkAttributes(i, create.attrs);
      const views = await r.view(ctx, await create.bulk(ctx, items, request));
      return reply.code(201).send(bulk ? { [collection]: views } : { [r.member]: views[0] });
    });
  }

  if (update !== undefined) {
    app.put(`${base}/:id`, async (request) => {
      const ctx = callerOf(request, tracer);
      const b = single(request, r.member);
      checkAttributes(b, update.attrs);
      return { [r.member]: await viewOne(ctx, await update.run(ctx, idOf(request), b, request)) };
    });
  }

  if (remove !== undefined) {
    app.delete(`${base}/:id`, async (request, reply) => {
      await remove(callerOf(request, tracer), idOf(request), request);
      return reply.code(204).send();
    });
  }
}
