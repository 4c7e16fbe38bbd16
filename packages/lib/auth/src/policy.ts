/** Policies as data: a rule name maps to a small check of the caller and the target (oslo.policy's legacy defaults). */
import type { RequestContext } from './request-context.js';

/** What a rule is checked against: the owner of the resource, if any. */
export interface PolicyTarget {
  readonly projectId?: string | null;
  readonly userId?: string | null;
}

/** A rule: true allows. */
export type PolicyCheck = (ctx: RequestContext, target: PolicyTarget) => boolean;

/** A service's rules by name (`os_compute_api:servers:create`). */
export type Policy = Readonly<Record<string, PolicyCheck>>;

/** The building blocks services compose their policies from. */
export const rules = {
  /** Anyone with a valid token. */
  any: (() => true) as PolicyCheck,
  /** The admin role. */
  admin: ((ctx) => ctx.isAdmin) as PolicyCheck,
  /** Admin, or a caller whose project owns the target (project_id:%(project_id)s). */
  adminOrOwner: ((ctx, t) => ctx.isAdmin || (t.projectId != null && t.projectId === ctx.projectId)) as PolicyCheck,
  /** Admin, or member of the owning project (writes). */
  adminOrMember: ((ctx, t) => ctx.isAdmin || ((t.projectId == null || t.projectId === ctx.projectId) && ctx.roles.some((r) => r === 'member'))) as PolicyCheck,
  /** Admin, or any role on the owning project (reads). */
  adminOrReader: ((ctx, t) => ctx.isAdmin || ((t.projectId == null || t.projectId === ctx.projectId) && ctx.roles.some((r) => r === 'reader' || r === 'member'))) as PolicyCheck,
  /** Admin, or the user the target belongs to. */
  adminOrUser: ((ctx, t) => ctx.isAdmin || (t.userId != null && t.userId === ctx.userId)) as PolicyCheck,
} as const;
