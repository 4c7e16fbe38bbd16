/** Domain-specific configuration: per-domain values of identity/ldap options, one row per option. */
import { jsonColumn, parseJsonColumn, toBool } from '@strata/db';
import type { IdentityDb } from './common.js';

/** One stored option of a domain's configuration. */
export interface DomainConfigOption {
  readonly group: string;
  readonly option: string;
  readonly value: unknown;
  /** Sensitive options (ldap password) are stored but never shown. */
  readonly sensitive: boolean;
}

/** Which options a read or delete covers: all, one group, or one option of a group. */
export interface DomainConfigSelector {
  readonly group?: string;
  readonly option?: string;
}

/** Read and write domain configuration options. */
export class DomainConfigStore {
  readonly #db: IdentityDb;
  constructor(db: IdentityDb) {
    this.#db = db;
  }

  /** The domain's options matching the selector, ordered by group and option. */
  async list(domainId: string, sel: DomainConfigSelector = {}): Promise<DomainConfigOption[]> {
    let q = this.#db.selectFrom('domain_config_options').selectAll().where('domain_id', '=', domainId).orderBy('group_name').orderBy('option_name');
    if (sel.group !== undefined) q = q.where('group_name', '=', sel.group);
    if (sel.option !== undefined) q = q.where('option_name', '=', sel.option);
    return (await q.execute()).map((r) => ({ group: r.group_name, option: r.option_name, value: parseJsonColumn<unknown>(r.value, null), sensitive: toBool(r.sensitive) }));
  }

  /** Insert or overwrite each option. */
  async put(domainId: string, options: readonly DomainConfigOption[]): Promise<void> {
    await this.#db.transaction().execute(async (tx) => {
      for (const o of options) {
        await tx.deleteFrom('domain_config_options').where('domain_id', '=', domainId).where('group_name', '=', o.group).where('option_name', '=', o.option).execute();
        await tx.insertInto('domain_config_options').values({ domain_id: domainId, group_name: o.group, option_name: o.option, value: jsonColumn(o.value), sensitive: o.sensitive }).execute();
      }
    });
  }

  /** Replace the domain's whole configuration. */
  async replace(domainId: string, options: readonly DomainConfigOption[]): Promise<void> {
    await this.#db.transaction().execute(async (tx) => {
      await tx.deleteFrom('domain_config_options').where('domain_id', '=', domainId).execute();
      for (const o of options) {
        await tx.insertInto('domain_config_options').values({ domain_id: domainId, group_name: o.group, option_name: o.option, value: jsonColumn(o.value), sensitive: o.sensitive }).execute();
      }
    });
  }

  /** Delete the options the selector covers (everything when empty). */
  async delete(domainId: string, sel: DomainConfigSelector = {}): Promise<void> {
    let q = this.#db.deleteFrom('domain_config_options').where('domain_id', '=', domainId);
    if (sel.group !== undefined) q = q.where('group_name', '=', sel.group);
    if (sel.option !== undefined) q = q.where('option_name', '=', sel.option);
    await q.execute();
  }
}
