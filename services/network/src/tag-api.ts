/** Tags on standard-attribute resources (neutron's standard-attr-tag extension). */
import type { NeutronContext } from './neutron-context.js';
import type { PluginCore } from './plugin-core.js';
import { addTag, removeTag, replaceTags, tagsOf } from './objects/tag.js';
import { badAttribute, missing } from './errors.js';
import { toTags } from './attributes.js';

/** Finds a resource the caller sees (404 otherwise) and returns its owner. */
export type TagTargetResolver = (ctx: NeutronContext, id: string) => Promise<{ projectId: string }>;

/** The resource collections that carry tags. */
export const TAGGABLE = ['networks', 'subnets', 'ports', 'routers', 'floatingips', 'security-groups', 'subnetpools'] as const;
/** A taggable collection. */
export type TaggableResource = (typeof TAGGABLE)[number];

const MAX_TAGS = 50;

function checkTag(tag: string): string {
  if (tag === '' || tag.length > 255 || tag.includes(',')) throw badAttribute('tag', `'${tag}' is not a valid tag`);
  return tag;
}

/** Tags. */
export class TagApi {
  readonly #core: PluginCore;
  readonly #resolvers: Readonly<Record<TaggableResource, TagTargetResolver>>;

  constructor(core: PluginCore, resolvers: Readonly<Record<TaggableResource, TagTargetResolver>>) {
    this.#core = core;
    this.#resolvers = resolvers;
  }

  async #target(ctx: NeutronContext, resource: TaggableResource, id: string, write: boolean): Promise<void> {
    const t = await this.#resolvers[resource](ctx, id);
    ctx.authorize(write ? 'update_tags' : 'get_tags', { projectId: t.projectId });
  }

  async list(ctx: NeutronContext, resource: TaggableResource, id: string): Promise<string[]> {
    await this.#target(ctx, resource, id, false);
    return tagsOf(this.#core.db, resource, id);
  }

  /** 404 TagNotFound when the tag is not on the resource. */
  async check(ctx: NeutronContext, resource: TaggableResource, id: string, tag: string): Promise<void> {
    await this.#target(ctx, resource, id, false);
    if (!(await tagsOf(this.#core.db, resource, id)).includes(tag)) throw missing('TagNotFound', `Tag ${tag} could not be found for ${resource.replace(/s$/, '')} ${id}.`);
  }

  async add(ctx: NeutronContext, resource: TaggableResource, id: string, tag: string): Promise<void> {
    await this.#target(ctx, resource, id, true);
    checkTag(tag);
    await this.#core.transaction(async (trx) => {
      const have = await tagsOf(trx, resource, id);
      if (!have.includes(tag) && have.length >= MAX_TAGS) throw badAttribute('tags', `a resource may have at most ${MAX_TAGS} tags`);
      await addTag(trx, resource, id, tag);
    });
  }

  async replace(ctx: NeutronContext, resource: TaggableResource, id: string, tags: unknown): Promise<string[]> {
    await this.#target(ctx, resource, id, true);
    const list = toTags(tags);
    if (list.length > MAX_TAGS) throw badAttribute('tags', `a resource may have at most ${MAX_TAGS} tags`);
    await this.#core.transaction((trx) => replaceTags(trx, resource, id, list));
    return tagsOf(this.#core.db, resource, id);
  }

  async remove(ctx: NeutronContext, resource: TaggableResource, id: string, tag: string): Promise<void> {
    await this.#target(ctx, resource, id, true);
    if (!(await removeTag(this.#core.db, resource, id, tag))) throw missing('TagNotFound', `Tag ${tag} could not be found for ${resource.replace(/s$/, '')} ${id}.`);
  }

  async removeAll(ctx: NeutronContext, resource: TaggableResource, id: string): Promise<void> {
    await this.#target(ctx, resource, id, true);
    await replaceTags(this.#core.db, resource, id, []);
  }
}
