/** nova in the all-in-one: nova-api on [compute] port, nova-scheduler, nova-conductor and nova-compute for this host. */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ComputeService, InMemoryHypervisor, loadDriverHypervisor, seedFlavors, type ComputeSettings, type Hypervisor } from '@strata/compute';
import type { Logger } from '@strata/log';
import type { StrataConfig } from '../strata-config.js';
import type { CloudContext, CloudService, RunningService } from './cloud-service.js';
import { qemuInstancesPath, resolveComputeDriver } from './qemu-setup.js';

/** nova's settings from the [compute] options. */
export function computeSettings(config: StrataConfig): ComputeSettings {
  const c = config.compute;
  return {
    defaultAvailabilityZone: c.default_availability_zone,
    cpuAllocationRatio: Number(c.cpu_allocation_ratio),
    ramAllocationRatio: Number(c.ram_allocation_ratio),
    diskAllocationRatio: Number(c.disk_allocation_ratio),
    reportIntervalMs: c.report_interval,
    serviceDownTimeMs: c.service_down_time,
    maxAttempts: c.max_attempts,
    vifPluggingTimeoutMs: c.vif_plugging_timeout,
    fakeResources: { vcpus: c.fake_vcpus, memoryMb: c.fake_memory_mb, localGb: c.fake_local_gb },
    quotas: {
      instances: c.quota_instances,
      cores: c.quota_cores,
      ram: c.quota_ram,
      key_pairs: c.quota_key_pairs,
      metadata_items: c.quota_metadata_items,
      server_groups: c.quota_server_groups,
      server_group_members: c.quota_server_group_members,
      injected_files: 5,
      injected_file_content_bytes: 10_240,
      injected_file_path_bytes: 255,
      fixed_ips: -1,
      floating_ips: 10,
      security_groups: 10,
      security_group_rules: 20,
    },
  };
}

/** This machine's compute host name: [compute] host, else the host name. */
export function computeHostName(config: StrataConfig): string {
  return config.compute.host === '' ? hostname() : config.compute.host;
}

/**
 * The hypervisor of compute host `host` with driver `kind`, its state under `dataDir`.
 * NOTE: the driver packages (packages/drivers/virt-*) are used when built; until then the fake
 * driver falls back to nova's own in-memory hypervisor, and qemu refuses to start.
 */
export async function createHypervisor(kind: 'fake' | 'qemu', host: string, o: { config: StrataConfig; dataDir: string; logger: Logger }): Promise<Hypervisor> {
  const c = o.config.compute;
  const resources = { vcpus: c.fake_vcpus, memoryMb: c.fake_memory_mb, localGb: c.fake_local_gb };
  let hv: Hypervisor | undefined;
  try {
    hv =
      kind === 'qemu'
        ? await loadDriverHypervisor(kind, host, { instancesPath: qemuInstancesPath(o.dataDir), logger: o.logger }, { forceConfigDrive: true, logger: o.logger })
        : await loadDriverHypervisor(kind, host, { ...resources, dataDir: join(o.dataDir, 'compute', 'instances', host) });
  } catch (err) {
    if (kind === 'qemu') throw err;
    o.logger.warn({ err, host }, 'fake driver package failed to start; using the in-memory hypervisor');
  }
  if (hv !== undefined) return hv;
  if (kind === 'qemu') throw new Error('[compute] driver = qemu: the virt-qemu driver is not available in this build; use driver = fake');
  return new InMemoryHypervisor(resources);
}

/** The compute service of the all-in-one. */
export const computeService: CloudService = {
  name: 'compute',
  async start(ctx: CloudContext): Promise<RunningService> {
    const c = ctx.config.compute;
    const host = computeHostName(ctx.config);
    const resources = { vcpus: c.fake_vcpus, memoryMb: c.fake_memory_mb, localGb: c.fake_local_gb };
    const hypervisor = await createHypervisor(await resolveComputeDriver(c.driver, ctx.logger), host, { config: ctx.config, dataDir: ctx.dataDir, logger: ctx.logger });
    const computeHosts = [{ host, hypervisor }];
    for (let n = 1; n <= c.fake_hosts; n++) computeHosts.push({ host: `${host}-fake-${n}`, hypervisor: new InMemoryHypervisor(resources) });
    const service = await ComputeService.create({
      databaseUrl: ctx.databaseUrl('compute'),
      authUrl: ctx.authUrl,
      transportUrl: ctx.config.messaging.transport_url,
      logger: ctx.logger,
      tracer: ctx.tracer,
      settings: computeSettings(ctx.config),
      computeHosts,
      controllerHost: host,
      stateDir: join(ctx.dataDir, 'compute'),
      tokenCacheTtlMs: ctx.config.keystone_authtoken.cache_ttl,
      tokenTimeoutMs: ctx.config.keystone_authtoken.timeout,
    });
    let listen: string;
    try {
      listen = await service.listen(ctx.listenHost, c.port);
      // nova-api-metadata (only requests the agents' relays sign with the shared secret) and nova-novncproxy beside the API.
      await service.listenMetadata(ctx.listenHost, c.metadata_port, { sharedSecret: ctx.metadataSecret });
      const vncPort = await service.listenConsoleProxy(ctx.listenHost, c.novncproxy_port);
      service.consoles.setProxyBaseUrl(`http://${ctx.publicHost}:${vncPort}`);
    } catch (err) {
      await service.close();
      throw err;
    }
    const url = `http://${ctx.publicHost}:${new URL(listen).port}`;
    const endpoint = `${url}/v2.1`;
    return {
      url,
      catalog: [{ type: 'compute', name: 'nova', description: 'Compute Service', urls: { public: endpoint, internal: endpoint, admin: endpoint } }],
      serviceUser: { name: 'nova', configuredPassword: c.service_password },
      // nova's [neutron] and [service_user] sections: it calls neutron as its own user.
      afterBootstrap: async (tokens) => {
        service.useServiceToken(tokens.service);
        await seedFlavors(service.api);
      },
      close: () => service.close(),
    };
  },
};
