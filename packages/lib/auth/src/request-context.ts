/** RequestContext: who is calling (from the validated token) and the policy check every handler runs. */
import { Forbidden } from '@strata/errors';
import type { Policy, PolicyTarget } from './policy.js';

/** The caller of a request, as every service's handlers see it. */
export class RequestContext {
  readonly requestId: string;
  readonly globalRequestId: string | undefined;
  readonly userId: string;
  readonly userName: string;
  readonly userDomainId: string;
  readonly projectId: string | undefined;
  readonly projectName: string | undefined;
  readonly domainId: string | undefined;
  readonly system: boolean;
  readonly roles: readonly string[];
  /** The caller's token, to pass on when this service calls another. */
  readonly authToken: string;
  readonly expiresAt: string;
  /** When keystone began authenticating for the caller's token and how long it took (Strata keystone only), for traces. */
  readonly authentication: { readonly startedAt: number; readonly durationMs: number } | undefined;
  readonly #policy: Policy;
  #authorized = false;

  constructor(init: {
    requestId: string;
    globalRequestId?: string | undefined;
    userId: string;
    userName: string;
    userDomainId: string;
    projectId?: string | undefined;
    projectName?: string | undefined;
    domainId?: string | undefined;
    system: boolean;
    roles: readonly string[];
    authToken: string;
    expiresAt: string;
    authentication?: { startedAt: number; durationMs: number } | undefined;
    policy: Policy;
  }) {
    this.requestId = init.requestId;
    this.globalRequestId = init.globalRequestId;
    this.userId = init.userId;
    this.userName = init.userName;
    this.userDomainId = init.userDomainId;
    this.projectId = init.projectId;
    this.projectName = init.projectName;
    this.domainId = init.domainId;
    this.system = init.system;
    this.roles = Object.freeze([...init.roles]);
    this.authToken = init.authToken;
    this.expiresAt = init.expiresAt;
    this.authentication = init.authentication;
    this.#policy = init.policy;
  }

  /** True when the caller holds the admin role (legacy policy: admin on any project is a cloud admin). */
  get isAdmin(): boolean {
    return this.roles.includes('admin');
  }

  /** True once a policy check passed for this request. */
  get authorized(): boolean {
    return this.#authorized;
  }

  /** True when the rule allows the caller on the target; never throws for a known rule. */
  can(rule: string, target: PolicyTarget = {}): boolean {
    const check = this.#policy[rule];
    if (check === undefined) throw new Error(`PROGRAMMING ERROR: no policy rule named ${rule}`);
    return check(this, target);
  }

  /** Throws 403 "Policy doesn't allow <rule> to be performed." unless the rule allows it. */
  authorize(rule: string, target: PolicyTarget = {}): void {
    if (!this.can(rule, target)) throw new Forbidden(`Policy doesn't allow ${rule} to be performed.`, { rule }, 'PolicyNotAuthorized');
    this.#authorized = true;
  }

  /** The plain form that travels in RPC messages. */
  toRpc(): { requestId: string; globalRequestId?: string; userId: string; projectId?: string; roles: string[] } {
    return {
      requestId: this.requestId,
      ...(this.globalRequestId !== undefined ? { globalRequestId: this.globalRequestId } : {}),
      userId: this.userId,
      ...(this.projectId !== undefined ? { projectId: this.projectId } : {}),
      roles: [...this.roles],
    };
  }
}
