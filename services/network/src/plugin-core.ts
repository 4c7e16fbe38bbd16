/** What every part of the plugin shares: the database, settings, retrying transactions, quotas and the agent notifier. */
import { setTimeout as sleep } from 'node:timers/promises';
import { isUniqueViolation, type Database } from '@strata/db';
import type { Logger } from '@strata/log';
import type { Tracer } from '@strata/trace';
import type { NetworkDatabase } from './db/schema.js';
import type { NetworkDb } from './objects/common.js';
import { lockQuota, projectLimits } from './objects/quota.js';
import { overQuota } from './errors.js';
import type { AgentNotifier } from './server/agent-notifier.js';
import type { NovaEvent, NovaNotifier } from './server/nova-notifier.js';
import type { RpcContext } from '@strata/rpc';
import type { Trace } from '@strata/trace';
import { mark, PLUGIN } from './server/flow.js';
import type { PluginSettings } from './plugin-settings.js';

/** Plugin settings, compiled from the [network] and [ml2*] config groups. */
/** The quota resources, in neutron's order. */
export const QUOTA_RESOURCES = ['network', 'subnet', 'subnetpool', 'port', 'router', 'floatingip', 'security_group', 'security_group_rule'] as const;
/** A quota resource name. */
export type QuotaResource = (typeof QUOTA_RESOURCES)[number];

const TABLE_OF: Record<QuotaResource, keyof NetworkDatabase> = {
  network: 'networks',
  subnet: 'subnets',
  subnetpool: 'subnet_pools',
  port: 'ports',
  router: 'routers',
  floatingip: 'floating_ips',
  security_group: 'security_groups',
  security_group_rule: 'security_group_rules',
};

function retryable(err: unknown): boolean {
  if (isUniqueViolation(err)) return true;
  const e = err as { code?: unknown; errno?: unknown } | null;
  // PostgreSQL serialization failure / deadlock; MariaDB deadlock / lock wait timeout; SQLite busy.
  return e?.code === '40001' || e?.code === '40P01' || e?.errno === 1213 || e?.errno === 1205 || e?.code === 'SQLITE_BUSY';
}

/**
 * What a committed change must tell agents and nova. Built inside a transaction attempt (so a
 * retried attempt starts afresh) and applied by `PluginCore.apply` after the commit.
 */
export class Effects {
  /** Ports to (re)wire on a host, with the request's RPC context (it carries the trace). */
  readonly portsUpdated: Array<{ host: string; portId: string; ctx?: RpcContext; trace?: Trace }> = [];
  readonly portsDeleted: Array<{ host: string; portId: string; networkId: string }> = [];
  /** Networks whose DHCP service must be refreshed. */
  readonly dhcpNetworks = new Set<string>();
  readonly dhcpRemoved: Array<{ host: string; networkId: string }> = [];
  readonly routers = new Set<string>();
  readonly routersDeleted: Array<{ host: string; routerId: string }> = [];
  readonly networksDeleted: string[] = [];
  readonly securityGroups = new Set<string>();
  readonly novaEvents: NovaEvent[] = [];
}

/** Options of PluginCore. */
export interface PluginCoreOptions {
  readonly database: Database<NetworkDatabase>;
  readonly settings: PluginSettings;
  readonly logger: Logger;
  readonly tracer: Tracer;
  readonly notifier: AgentNotifier;
  readonly nova: NovaNotifier;
}

/** Shared plumbing of the plugin's API classes. */
export class PluginCore {
  readonly database: Database<NetworkDatabase>;
  readonly db: NetworkDb;
  readonly settings: PluginSettings;
  readonly log: Logger;
  readonly tracer: Tracer;
  readonly notifier: AgentNotifier;
  readonly nova: NovaNotifier;

  constructor(opts: PluginCoreOptions) {
    this.database = opts.database;
    this.db = opts.database.db;
    this.settings = opts.settings;
    this.log = opts.logger;
    this.tracer = opts.tracer;
    this.notifier = opts.notifier;
    this.nova = opts.nova;
  }

  /**
   * Run `fn` in a transaction; when it fails on a unique violation or a deadlock (two requests
   * took the same address, MAC or segment), run it again with `attempt` + 1, up to 30 times.
   * Business checks at the start of `fn` turn a lost race into the right 409 on the next attempt.
   */
  async transaction<T>(fn: (trx: NetworkDb, attempt: number) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        // NOTE: MariaDB's default REPEATABLE READ would let a quota count read the snapshot taken
        // before the quota lock was granted; READ COMMITTED (PostgreSQL's default) reads fresh rows.
        const tx = this.database.dialect === 'mysql' ? this.db.transaction().setIsolationLevel('read committed') : this.db.transaction();
        return await tx.execute((trx) => fn(trx, attempt));
      } catch (err) {
        if (!retryable(err) || attempt >= 30) throw err;
        this.log.debug({ attempt, code: (err as { code?: unknown }).code }, 'retrying transaction after a conflict');
        await sleep(Math.floor(Math.random() * Math.min(50, 2 + attempt * 5)));
      }
    }
  }

  /** Send what `fx` collected: agent casts (step 33 for traced port bindings) and nova events (in the background). */
  async apply(fx: Effects): Promise<void> {
    const n = this.notifier;
    const sends: Array<Promise<unknown>> = [];
    for (const p of fx.portsDeleted) sends.push(n.portDeleted(p.host, p.portId, p.networkId));
    for (const p of fx.portsUpdated) {
      const started = Date.now();
      sends.push(n.portUpdated(p.host, p.portId, p.ctx).then(() => mark(p.trace, 33, PLUGIN, 'rpc', `cast portUpdated to neutron-agent.${p.host}`, started)));
    }
    for (const d of fx.dhcpRemoved) sends.push(n.dhcpNetworkRemoved(d.host, d.networkId));
    for (const r of fx.routersDeleted) sends.push(n.routerDeleted(r.host, r.routerId));
    for (const id of fx.networksDeleted) sends.push(n.networkDeleted(id));
    if (fx.dhcpNetworks.size > 0) {
      const rows = await this.db
        .selectFrom('network_dhcp_agents')
        .innerJoin('agents', 'agents.id', 'network_dhcp_agents.agent_id')
        .select(['network_dhcp_agents.network_id as networkId', 'agents.host as host'])
        .where('network_dhcp_agents.network_id', 'in', [...fx.dhcpNetworks])
        .execute();
      for (const r of rows) n.dhcpNetworkUpdated(r.host, r.networkId);
    }
    if (fx.routers.size > 0) {
      const rows = await this.db.selectFrom('routers').select(['id', 'host']).where('id', 'in', [...fx.routers]).execute();
      for (const r of rows) if (r.host !== null) n.routerUpdated(r.host, r.id);
    }
    if (fx.securityGroups.size > 0) n.securityGroupsUpdated([...fx.securityGroups]);
    if (fx.novaEvents.length > 0) void this.nova.notify(fx.novaEvents);
    await Promise.all(sends);
  }

  /** The limit of a resource for a project (its own, else the default). */
  async quotaLimit(db: NetworkDb, projectId: string, resource: QuotaResource): Promise<number> {
    const own = (await projectLimits(db, projectId)).get(resource);
    return own ?? this.settings.quotaDefaults[resource] ?? -1;
  }

  /** Rows of a resource a project owns. */
  async quotaUsage(db: NetworkDb, projectId: string, resource: QuotaResource): Promise<number> {
    const table = TABLE_OF[resource];
    const r = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('project_id', '=', projectId)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /**
   * Inside a transaction: lock the project's counter for `resource` and throw 409 OverQuota
   * unless `adding` more fit under its limit.
   */
  async checkQuota(db: NetworkDb, projectId: string, resource: QuotaResource, adding = 1): Promise<void> {
    const limit = await this.quotaLimit(db, projectId, resource);
    if (limit < 0) return;
    await lockQuota(db, this.database.dialect, projectId, resource);
    const used = await this.quotaUsage(db, projectId, resource);
    if (used + adding > limit) throw overQuota(resource);
  }
}
