/**
 * nova-compute as a process of its own (a host beside the controller): compute hosts on the bus,
 * with no database (conductor reads and writes for them) and no API; glance, neutron and cinder
 * are found in keystone's catalog.
 */
import type { Logger } from '@strata/log';
import { createTransport, type RuntimeTransport } from '@strata/rpc';
import { Tracer } from '@strata/trace';
import { ComputeHost, computeHostDeps, type ComputeHostDeps, type ComputeHostSettings } from './agent/compute-host.js';
import type { Hypervisor } from './agent/hypervisor.js';

/** What a compute node is built from. */
export interface ComputeNodeOptions {
  /** Keystone's auth URL (…/v3). */
  readonly authUrl: string;
  /** The controller's bus (rabbit://…): a host in another process cannot use memory://. */
  readonly transportUrl: string;
  readonly logger: Logger;
  readonly tracer?: Tracer;
  readonly settings: ComputeHostSettings;
  readonly hosts: ReadonlyArray<{ readonly host: string; readonly hypervisor: Hypervisor }>;
  /** Directory for the per-host image caches; null keeps no image data. */
  readonly stateDir: string | null;
}

/** Running nova-compute hosts of this process. */
export class ComputeNode {
  readonly tracer: Tracer;
  readonly #transport: RuntimeTransport;
  readonly #deps: ComputeHostDeps;
  readonly #hosts: ComputeHost[] = [];
  #closed: Promise<void> | undefined;

  private constructor(transport: RuntimeTransport, deps: ComputeHostDeps) {
    this.#transport = transport;
    this.#deps = deps;
    this.tracer = deps.tracer;
  }

  /** Open the bus and start every host (each reports in at once). */
  static async create(o: ComputeNodeOptions): Promise<ComputeNode> {
    const transport = await createTransport(o.transportUrl);
    const log = o.logger.child({ service: 'compute' });
    const node = new ComputeNode(transport, computeHostDeps({ transport, authUrl: o.authUrl, tracer: o.tracer ?? new Tracer(), logger: log }));
    try {
      for (const h of o.hosts) node.#hosts.push(await ComputeHost.start(node.#deps, { host: h.host, hypervisor: h.hypervisor, settings: o.settings, stateDir: o.stateDir }));
    } catch (err) {
      await node.close();
      throw err;
    }
    return node;
  }

  /** The hosts this process runs. */
  get hosts(): readonly string[] {
    return this.#hosts.map((h) => h.host);
  }

  /** nova's own service credentials (see ComputeService.useServiceToken): neutron port bindings go out as nova. */
  useServiceToken(token: (rejected?: string) => Promise<string>): void {
    this.#deps.networks.useServiceToken(token);
  }

  /** Stop every host (their heartbeats stop: down after service_down_time), then the bus. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      for (const h of this.#hosts.splice(0)) await h.stop().catch((err: unknown) => this.#deps.logger.warn({ err, host: h.host }, 'error while stopping a compute host'));
      await this.#transport.close();
    })();
    return this.#closed;
  }
}
