/** The compute host's heartbeat: reports the hypervisor's resources through conductor every report_interval. */
import type { Logger } from '@strata/log';
import type { ConductorRpcClient } from '../conductor/conductor-rpc.js';
import type { Hypervisor } from './hypervisor.js';

/** What the tracker reports as. */
export interface ResourceTrackerOptions {
  readonly host: string;
  readonly hostIp: string;
  readonly availabilityZone: string;
  readonly cpuAllocationRatio: number;
  readonly ramAllocationRatio: number;
  readonly diskAllocationRatio: number;
  readonly intervalMs: number;
  readonly hypervisor: Hypervisor;
  readonly conductor: ConductorRpcClient;
  readonly logger: Logger;
}

/** Reports once on start (so the host is schedulable at once), then periodically until stopped. */
export class ResourceTracker {
  readonly #o: ResourceTrackerOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(options: ResourceTrackerOptions) {
    this.#o = options;
  }

  /** One report now. */
  async report(): Promise<void> {
    const r = await this.#o.hypervisor.resources();
    await this.#o.conductor.serviceReport(
      { requestId: `req-${crypto.randomUUID()}`, roles: [] },
      {
        binary: 'nova-compute',
        topic: 'compute',
        report: {
          host: this.#o.host,
          hypervisorHostname: this.#o.host,
          hypervisorType: r.hypervisorType,
          hypervisorVersion: r.hypervisorVersion,
          hostIp: this.#o.hostIp,
          availabilityZone: this.#o.availabilityZone,
          vcpus: r.vcpus,
          memoryMb: r.memoryMb,
          localGb: r.localGb,
          cpuAllocationRatio: this.#o.cpuAllocationRatio,
          ramAllocationRatio: this.#o.ramAllocationRatio,
          diskAllocationRatio: this.#o.diskAllocationRatio,
          cpuInfo: JSON.stringify(r.cpuInfo),
        },
      },
    );
  }

  async start(): Promise<void> {
    await this.report();
    this.#timer = setInterval(() => {
      if (this.#running !== undefined) return;
      this.#running = this.report()
        .catch((err: unknown) => this.#o.logger.warn({ err, host: this.#o.host }, 'resource report failed'))
        .finally(() => (this.#running = undefined));
    }, this.#o.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
