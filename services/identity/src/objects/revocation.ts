/** Token revocation events, persisted so revocations survive a restart. */
import { nowIso } from '@strata/db';
import { newId, type IdentityDb } from './common.js';

/** What a revocation matches: tokens with these attributes issued before `issuedBefore`. */
export interface RevocationEvent {
  readonly auditId?: string;
  readonly userId?: string;
  readonly projectId?: string;
  readonly domainId?: string;
  readonly appCredId?: string;
  readonly issuedBefore: string;
}

/** The attributes of a token that revocations match on. */
export interface TokenFacts {
  readonly auditIds: readonly string[];
  readonly userId: string;
  readonly projectId?: string | undefined;
  readonly domainId?: string | undefined;
  readonly appCredId?: string | undefined;
  readonly issuedAt: string;
}

/** Read and write revocation events. */
export class RevocationStore {
  readonly #db: IdentityDb;
  constructor(db: IdentityDb) {
    this.#db = db;
  }

  async add(e: RevocationEvent): Promise<void> {
    await this.#db
      .insertInto('revocation_events')
      .values({
        id: newId(),
        audit_id: e.auditId ?? null,
        user_id: e.userId ?? null,
        project_id: e.projectId ?? null,
        domain_id: e.domainId ?? null,
        app_cred_id: e.appCredId ?? null,
        issued_before: e.issuedBefore,
        revoked_at: nowIso(),
      })
      .execute();
  }

  /** Every event, for the in-memory index. */
  async all(): Promise<RevocationEvent[]> {
    const rows = await this.#db.selectFrom('revocation_events').selectAll().execute();
    return rows.map((r) => ({
      ...(r.audit_id !== null ? { auditId: r.audit_id } : {}),
      ...(r.user_id !== null ? { userId: r.user_id } : {}),
      ...(r.project_id !== null ? { projectId: r.project_id } : {}),
      ...(r.domain_id !== null ? { domainId: r.domain_id } : {}),
      ...(r.app_cred_id !== null ? { appCredId: r.app_cred_id } : {}),
      issuedBefore: r.issued_before,
    }));
  }
}

/** True when `e` revokes a token with `facts`: every attribute the event names matches. */
export function revokes(e: RevocationEvent, facts: TokenFacts): boolean {
  if (facts.issuedAt > e.issuedBefore) return false;
  if (e.auditId !== undefined && !facts.auditIds.includes(e.auditId)) return false;
  if (e.userId !== undefined && e.userId !== facts.userId) return false;
  if (e.projectId !== undefined && e.projectId !== facts.projectId) return false;
  if (e.domainId !== undefined && e.domainId !== facts.domainId) return false;
  if (e.appCredId !== undefined && e.appCredId !== facts.appCredId) return false;
  return true;
}
