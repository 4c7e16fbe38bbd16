/** MetadefApi: glance's metadata-definition rules — who sees a namespace, who changes it, and what its items look like. */
import { BadRequest, Conflict, Forbidden, NotFound } from '@strata/errors';
import { isUniqueViolation } from '@strata/db';
import type { RequestContext } from '@strata/auth';
import type { ImageDb } from './objects/common.js';
import { MetadefRepo, type MetadefAssociation, type MetadefItem, type MetadefKind, type MetadefNamespace } from './objects/metadef.js';

/** A namespace with everything it holds, for GET and POST responses. */
export interface NamespaceDetail {
  readonly namespace: MetadefNamespace;
  readonly associations: readonly MetadefAssociation[];
  readonly objects: readonly MetadefItem[];
  readonly properties: readonly MetadefItem[];
  readonly tags: readonly MetadefItem[];
}

type Body = Readonly<Record<string, unknown>>;

function str(body: Body, key: string, required: boolean, max = 255): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) {
    if (required) throw new BadRequest(`'${key}' is a required property`, { key }, 'SchemaValidationError');
    return undefined;
  }
  if (typeof v !== 'string' || (required && v === '') || v.length > max) throw new BadRequest(`Invalid value for '${key}': expected a string of at most ${max} characters`, { key }, 'SchemaValidationError');
  return v;
}

function visibilityOf(v: unknown, fallback: 'public' | 'private'): 'public' | 'private' {
  if (v === undefined) return fallback;
  if (v !== 'public' && v !== 'private') throw new BadRequest(`Invalid visibility ${JSON.stringify(v)}: expected public or private`, {}, 'SchemaValidationError');
  return v;
}

function boolOf(v: unknown, key: string, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new BadRequest(`Invalid value for '${key}': expected a boolean`, { key }, 'SchemaValidationError');
  return v;
}

/** The item body kept in the DB: the request without its name. */
function bodyWithoutName(body: Body): Record<string, unknown> {
  const { name: _name, created_at: _c, updated_at: _u, schema: _s, self: _self, ...rest } = body as Record<string, unknown>;
  return rest;
}

/** Glance's metadefs API over MetadefRepo. */
export class MetadefApi {
  readonly repo: MetadefRepo;
  constructor(db: ImageDb) {
    this.repo = new MetadefRepo(db);
  }

  #visible(ctx: RequestContext, ns: MetadefNamespace): boolean {
    return ctx.isAdmin || ns.visibility === 'public' || ns.owner === ctx.projectId;
  }

  /** The namespace if the caller may see it (and, with `write`, change it); 404 / 403 otherwise. */
  async namespace(ctx: RequestContext, name: string, write = false): Promise<MetadefNamespace> {
    const ns = await this.repo.findNamespace(name);
    if (ns === undefined || !this.#visible(ctx, ns)) throw new NotFound(`Metadata definition namespace=${name} was not found.`, { namespace: name }, 'MetadefNamespaceNotFound');
    ctx.authorize(write ? 'manage_metadef' : 'get_metadef', { projectId: ns.owner });
    return ns;
  }

  /** Everything a namespace holds. */
  async detail(ns: MetadefNamespace): Promise<NamespaceDetail> {
    return {
      namespace: ns,
      associations: await this.repo.associations(ns.id),
      objects: await this.repo.items(ns.id, 'object'),
      properties: await this.repo.items(ns.id, 'property'),
      tags: await this.repo.items(ns.id, 'tag'),
    };
  }

  /** Namespaces the caller sees, optionally only those of some resource types or one visibility. */
  async listNamespaces(ctx: RequestContext, filter: { resourceTypes?: readonly string[]; visibility?: string }): Promise<NamespaceDetail[]> {
    ctx.authorize('get_metadef');
    let all = (await this.repo.listNamespaces()).filter((ns) => this.#visible(ctx, ns));
    if (filter.visibility !== undefined) all = all.filter((ns) => ns.visibility === filter.visibility);
    if (filter.resourceTypes !== undefined && filter.resourceTypes.length > 0) {
      const ids = await this.repo.namespacesFor(filter.resourceTypes);
      all = all.filter((ns) => ids.has(ns.id));
    }
    return Promise.all(all.map((ns) => this.detail(ns)));
  }

  /** POST /v2/metadefs/namespaces, with any associations, properties, objects and tags it carries. */
  async createNamespace(ctx: RequestContext, body: Body): Promise<NamespaceDetail> {
    ctx.authorize('manage_metadef');
    const name = str(body, 'namespace', true, 80) as string;
    let ns: MetadefNamespace;
    try {
      ns = await this.repo.createNamespace({
        namespace: name,
        displayName: str(body, 'display_name', false, 80) ?? null,
        description: str(body, 'description', false, 500) ?? null,
        visibility: visibilityOf(body.visibility, 'private'),
        protected: boolOf(body.protected, 'protected', false),
        owner: str(body, 'owner', false) ?? ctx.projectId ?? '',
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`Namespace ${name} already exists`, { namespace: name }, 'MetadefDuplicateNamespace');
      throw err;
    }
    for (const a of Array.isArray(body.resource_type_associations) ? (body.resource_type_associations as Body[]) : []) await this.associate(ctx, ns, a);
    const props = body.properties;
    if (typeof props === 'object' && props !== null && !Array.isArray(props)) {
      for (const [pname, def] of Object.entries(props as Record<string, Body>)) await this.createItem(ctx, ns, 'property', { ...def, name: pname });
    }
    for (const o of Array.isArray(body.objects) ? (body.objects as Body[]) : []) await this.createItem(ctx, ns, 'object', o);
    for (const t of Array.isArray(body.tags) ? (body.tags as Body[]) : []) await this.createItem(ctx, ns, 'tag', t);
    return this.detail(ns);
  }

  /** PUT /v2/metadefs/namespaces/{ns}: replaces the namespace's attributes (it may be renamed). */
  async updateNamespace(ctx: RequestContext, name: string, body: Body): Promise<MetadefNamespace> {
    const ns = await this.namespace(ctx, name, true);
    const next = {
      namespace: str(body, 'namespace', false, 80) ?? ns.namespace,
      displayName: str(body, 'display_name', false, 80) ?? ns.displayName,
      description: str(body, 'description', false, 500) ?? ns.description,
      visibility: visibilityOf(body.visibility, ns.visibility),
      protected: boolOf(body.protected, 'protected', ns.protected),
      owner: str(body, 'owner', false) ?? ns.owner,
    };
    try {
      await this.repo.updateNamespace(ns.id, next);
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`Namespace ${next.namespace} already exists`, { namespace: next.namespace }, 'MetadefDuplicateNamespace');
      throw err;
    }
    return (await this.repo.findNamespace(next.namespace)) ?? ns;
  }

  /** DELETE /v2/metadefs/namespaces/{ns}: 403 while protected. */
  async deleteNamespace(ctx: RequestContext, name: string): Promise<void> {
    const ns = await this.namespace(ctx, name, true);
    if (ns.protected) throw new Forbidden(`Namespace ${name} is protected and cannot be deleted.`, { namespace: name }, 'MetadefNamespaceProtected');
    await this.repo.deleteNamespace(ns.id);
  }

  /** POST /v2/metadefs/namespaces/{ns}/resource_types. */
  async associate(ctx: RequestContext, ns: MetadefNamespace, body: Body): Promise<MetadefAssociation> {
    ctx.authorize('manage_metadef');
    const resourceType = str(body, 'name', true, 80) as string;
    try {
      return await this.repo.associate(ns.id, { resourceType, prefix: str(body, 'prefix', false, 80) ?? null, propertiesTarget: str(body, 'properties_target', false, 80) ?? null });
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`Resource type ${resourceType} is already associated with namespace ${ns.namespace}`, {}, 'MetadefDuplicateAssociation');
      throw err;
    }
  }

  /** DELETE /v2/metadefs/namespaces/{ns}/resource_types/{name}. */
  async dissociate(ctx: RequestContext, name: string, resourceType: string): Promise<void> {
    const ns = await this.namespace(ctx, name, true);
    if (!(await this.repo.dissociate(ns.id, resourceType))) throw new NotFound(`Resource type ${resourceType} is not associated with namespace ${name}.`, {}, 'MetadefAssociationNotFound');
  }

  /** Create an object, property or tag; 409 when the name is taken. */
  async createItem(ctx: RequestContext, ns: MetadefNamespace, kind: MetadefKind, body: Body): Promise<MetadefItem> {
    ctx.authorize('manage_metadef');
    const name = str(body, 'name', true, kind === 'tag' ? 255 : 80) as string;
    if (kind === 'property') {
      str(body, 'title', true, 255);
      str(body, 'type', true, 20);
    }
    try {
      return await this.repo.createItem(ns.id, kind, name, bodyWithoutName(body));
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`A metadata definition ${kind} with name=${name} already exists in namespace=${ns.namespace}.`, { name }, 'MetadefDuplicate');
      throw err;
    }
  }

  /** One item; 404 when missing. */
  async item(ns: MetadefNamespace, kind: MetadefKind, name: string): Promise<MetadefItem> {
    const item = await this.repo.findItem(ns.id, kind, name);
    if (item === undefined) throw new NotFound(`Metadata definition ${kind} not found for namespace=${ns.namespace} and ${kind} name=${name}.`, { name }, 'MetadefNotFound');
    return item;
  }

  /** Replace an item (it may be renamed); 404 when missing, 409 when the new name is taken. */
  async updateItem(ctx: RequestContext, ns: MetadefNamespace, kind: MetadefKind, name: string, body: Body): Promise<MetadefItem> {
    ctx.authorize('manage_metadef');
    await this.item(ns, kind, name);
    const next = str(body, 'name', kind !== 'tag', kind === 'tag' ? 255 : 80) ?? name;
    try {
      await this.repo.updateItem(ns.id, kind, name, { name: next, body: bodyWithoutName(body) });
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`A metadata definition ${kind} with name=${next} already exists in namespace=${ns.namespace}.`, { name: next }, 'MetadefDuplicate');
      throw err;
    }
    return this.item(ns, kind, next);
  }

  /** Delete an item; 404 when missing. */
  async deleteItem(ctx: RequestContext, ns: MetadefNamespace, kind: MetadefKind, name: string): Promise<void> {
    ctx.authorize('manage_metadef');
    if (!(await this.repo.deleteItem(ns.id, kind, name))) await this.item(ns, kind, name);
  }

  /** POST …/tags: replace every tag of the namespace. */
  async replaceTags(ctx: RequestContext, ns: MetadefNamespace, tags: unknown): Promise<MetadefItem[]> {
    ctx.authorize('manage_metadef');
    if (!Array.isArray(tags)) throw new BadRequest(`'tags' is a required property`, {}, 'SchemaValidationError');
    const names = (tags as Body[]).map((t) => str(t, 'name', true) as string);
    if (new Set(names).size !== names.length) throw new Conflict(`Duplicate tags in the request.`, {}, 'MetadefDuplicate');
    await this.repo.replaceItems(ns.id, 'tag', names.map((name) => ({ name, body: {} })));
    return this.repo.items(ns.id, 'tag');
  }
}
