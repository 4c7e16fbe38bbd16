/** DomainConfigApi: keystone's rules for /v3/domains/{id}/config — whitelisted groups and options, merge-on-update, partial reads and deletes. */
import { Forbidden, NotFound } from '@strata/errors';
import type { DomainStore } from './objects/domain.js';
import type { DomainConfigOption, DomainConfigStore } from './objects/domain-config.js';
import { configOptionKind, DOMAIN_CONFIG_DEFAULTS, isConfigGroup } from './domain-config-options.js';

/** A configuration as the API shows it: groups of options. */
export type DomainConfig = Record<string, Record<string, unknown>>;

/** The answer of a read: a whole config, or one option as `{ option: value }`. */
export type DomainConfigView = DomainConfig | Record<string, unknown>;

function invalid(reason: string): Forbidden {
  return new Forbidden(`Invalid domain specific configuration: ${reason}.`, {}, 'InvalidDomainConfig');
}

function notFound(domainId: string, group?: string, option?: string): NotFound {
  const what = option !== undefined ? `option ${option} in group ${group ?? ''}` : group !== undefined ? `group ${group}` : 'any options';
  return new NotFound(`Could not find ${what} in domain configuration for domain ${domainId}.`, { domainId }, 'DomainConfigNotFound');
}

function checkSelector(group?: string, option?: string): void {
  if (group === undefined) return;
  if (!isConfigGroup(group)) throw invalid(`Group ${group} is not supported for domain specific configurations`);
  if (option !== undefined && configOptionKind(group, option) === undefined) throw invalid(`Option ${option} in group ${group} is not supported for domain specific configurations`);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validate a request config and flatten it into option rows. */
function toOptions(config: unknown): DomainConfigOption[] {
  if (!isPlainObject(config) || Object.keys(config).length === 0) throw invalid('No options specified');
  const out: DomainConfigOption[] = [];
  for (const [group, options] of Object.entries(config)) {
    if (!isPlainObject(options) || Object.keys(options).length === 0) throw invalid(`The value of group ${group} specified in the config should be a dictionary of options`);
    checkSelector(group);
    for (const [option, value] of Object.entries(options)) {
      const kind = configOptionKind(group, option);
      if (kind === undefined) throw invalid(`Option ${option} in group ${group} is not supported for domain specific configurations`);
      out.push({ group, option, value, sensitive: kind === 'sensitive' });
    }
  }
  return out;
}

function toConfig(options: readonly DomainConfigOption[]): DomainConfig {
  const out: DomainConfig = {};
  for (const o of options) (out[o.group] ??= {})[o.option] = o.value;
  return out;
}

/** The stores DomainConfigApi works on. */
export interface DomainConfigApiDeps {
  readonly domains: DomainStore;
  readonly configs: DomainConfigStore;
}

/** Domain-specific configuration with keystone's validation. */
export class DomainConfigApi {
  readonly #domains: DomainStore;
  readonly #configs: DomainConfigStore;

  constructor(deps: DomainConfigApiDeps) {
    this.#domains = deps.domains;
    this.#configs = deps.configs;
  }

  /** The default values (GET /v3/domains/config[/{group}[/{option}]]/default); 403 for an unknown group or option. */
  defaults(group?: string, option?: string): DomainConfigView {
    checkSelector(group, option);
    if (group === undefined) return Object.fromEntries(Object.entries(DOMAIN_CONFIG_DEFAULTS).map(([g, o]) => [g, { ...o }]));
    const shown = DOMAIN_CONFIG_DEFAULTS[group] ?? {};
    if (option === undefined) return { [group]: { ...shown } };
    if (!Object.hasOwn(shown, option)) throw invalid(`Reading the default of option ${option} in group ${group} is not allowed`);
    return { [option]: shown[option] ?? null };
  }

  /** A domain's config, one group, or one option (`{ option: value }`); sensitive options never show. 404 when nothing matches. */
  async get(domainId: string, group?: string, option?: string): Promise<DomainConfigView> {
    await this.#domains.get(domainId);
    checkSelector(group, option);
    const shown = (await this.#configs.list(domainId, { ...(group !== undefined ? { group } : {}), ...(option !== undefined ? { option } : {}) })).filter((o) => !o.sensitive);
    if (shown.length === 0) throw notFound(domainId, group, option);
    if (option !== undefined) return { [option]: shown[0]?.value ?? null };
    return toConfig(shown);
  }

  /** PUT: replace the domain's whole config. `created` is false when it had one before. */
  async create(domainId: string, config: unknown): Promise<{ created: boolean; config: DomainConfig }> {
    await this.#domains.get(domainId);
    const options = toOptions(config);
    const before = await this.#configs.list(domainId);
    await this.#configs.replace(domainId, options);
    return { created: before.length === 0, config: toConfig(options.filter((o) => !o.sensitive)) };
  }

  /**
   * PATCH: merge options into the config. With a group (and option) in the URL the body must hold
   * exactly that group (and option), which must already exist. Returns the whole shown config.
   */
  async update(domainId: string, config: unknown, group?: string, option?: string): Promise<DomainConfig> {
    await this.#domains.get(domainId);
    checkSelector(group, option);
    // For one option the body is `{ option: value }`; see it as that option under its group.
    const body = group !== undefined && option !== undefined ? { [group]: config } : config;
    const options = toOptions(body);
    if (group !== undefined) {
      const groups = new Set(options.map((o) => o.group));
      if (groups.size !== 1 || !groups.has(group)) throw invalid(`Trying to update group ${group}, so that, and only that, group must be specified in the config`);
      if (option !== undefined && (options.length !== 1 || options[0]?.option !== option)) throw invalid(`Trying to update option ${option} in group ${group}, so that, and only that, option must be specified in the config`);
      const existing = await this.#configs.list(domainId, { group, ...(option !== undefined ? { option } : {}) });
      if (existing.length === 0) throw notFound(domainId, group, option);
    }
    await this.#configs.put(domainId, options);
    return toConfig((await this.#configs.list(domainId)).filter((o) => !o.sensitive));
  }

  /** DELETE the whole config, a group, or an option; 404 when the group or option is not set. */
  async delete(domainId: string, group?: string, option?: string): Promise<void> {
    await this.#domains.get(domainId);
    checkSelector(group, option);
    if (group !== undefined) {
      const existing = await this.#configs.list(domainId, { group, ...(option !== undefined ? { option } : {}) });
      if (existing.length === 0) throw notFound(domainId, group, option);
    }
    await this.#configs.delete(domainId, { ...(group !== undefined ? { group } : {}), ...(option !== undefined ? { option } : {}) });
  }

  /** Drop everything stored for a domain (the domain is being deleted). */
  async forgetDomain(domainId: string): Promise<void> {
    await this.#configs.delete(domainId);
  }
}
