/** Per-project quotas (neutron's quotas and quota_details extensions). */
import type { NeutronContext } from './neutron-context.js';
import { QUOTA_RESOURCES, type PluginCore, type QuotaResource } from './plugin-core.js';
import { deleteLimits, projectLimits, projectsWithLimits, setLimits } from './objects/quota.js';
import { badAttribute, policyNotAuthorized } from './errors.js';
import { toInt } from './attributes.js';

/** Limits by resource. */
export type QuotaSet = Record<QuotaResource, number>;

/** Quotas. */
export class QuotaApi {
  readonly #core: PluginCore;

  constructor(core: PluginCore) {
    this.#core = core;
  }

  /** The configured defaults. */
  defaults(): QuotaSet {
    const out = {} as QuotaSet;
    for (const r of QUOTA_RESOURCES) out[r] = this.#core.settings.quotaDefaults[r] ?? -1;
    return out;
  }

  #authorizeRead(ctx: NeutronContext, projectId: string): void {
    ctx.authorize('get_quota', { projectId: ctx.projectId });
    if (projectId !== ctx.projectId && !ctx.can('get_quota:other')) throw policyNotAuthorized('get_quota');
  }

  /** Effective limits of a project (caller's own project, or any for an admin). */
  async get(ctx: NeutronContext, projectId: string): Promise<QuotaSet> {
    this.#authorizeRead(ctx, projectId);
    const own = await projectLimits(this.#core.db, projectId);
    const out = this.defaults();
    for (const r of QUOTA_RESOURCES) out[r] = own.get(r) ?? out[r];
    return out;
  }

  /** The defaults, as seen for a project. */
  async getDefaults(ctx: NeutronContext, projectId: string): Promise<QuotaSet> {
    this.#authorizeRead(ctx, projectId);
    return this.defaults();
  }

  /** Limits with usage (quota_details). */
  async details(ctx: NeutronContext, projectId: string): Promise<Record<QuotaResource, { limit: number; used: number; reserved: number }>> {
    const limits = await this.get(ctx, projectId);
    const out = {} as Record<QuotaResource, { limit: number; used: number; reserved: number }>;
    for (const r of QUOTA_RESOURCES) out[r] = { limit: limits[r], used: await this.#core.quotaUsage(this.#core.db, projectId, r), reserved: 0 };
    return out;
  }

  /** Projects with non-default limits (admin). */
  async list(ctx: NeutronContext): Promise<Array<{ projectId: string; quota: QuotaSet }>> {
    ctx.authorize('update_quota');
    const out: Array<{ projectId: string; quota: QuotaSet }> = [];
    for (const [projectId, limits] of await projectsWithLimits(this.#core.db)) {
      const q = this.defaults();
      for (const [r, v] of limits) if ((QUOTA_RESOURCES as readonly string[]).includes(r)) q[r as QuotaResource] = v;
      out.push({ projectId, quota: q });
    }
    return out;
  }

  /** Set limits (admin); 400 for an unknown resource or a limit below -1. */
  async update(ctx: NeutronContext, projectId: string, body: Record<string, unknown>): Promise<QuotaSet> {
    ctx.authorize('update_quota');
    const limits = new Map<string, number>();
    for (const [k, v] of Object.entries(body)) {
      if (k === 'force' || k === 'check_limit') continue;
      if (!(QUOTA_RESOURCES as readonly string[]).includes(k)) throw badAttribute('quota', `Unrecognized attribute(s) '${k}'`);
      const n = toInt(k, v);
      if (n < -1) throw badAttribute(k, `'${n}' is too small - must be at least '-1'`);
      limits.set(k, n);
    }
    await this.#core.transaction((trx) => setLimits(trx, projectId, limits));
    return this.get(ctx, projectId);
  }

  /** Back to the defaults (admin). */
  async reset(ctx: NeutronContext, projectId: string): Promise<void> {
    ctx.authorize('delete_quota');
    await deleteLimits(this.#core.db, projectId);
  }
}
