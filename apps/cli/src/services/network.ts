/** neutron in the all-in-one: neutron-server on [network] port and one neutron-agent for this host over the configured bus. */
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { NetworkBackend } from '@strata/net';
import { NoopNetworkBackend } from '@strata/net-fake';
import { IdentityClient, requestJson } from '@strata/clients';
import type { Logger } from '@strata/log';
import { createTransport, type Transport } from '@strata/rpc';
import type { Tracer } from '@strata/trace';
import { agentHost, NetworkAgent, NetworkService, settingsFromConfig } from '@strata/network';
import type { StrataConfig } from '../strata-config.js';
import { localUrlHost } from '../url-host.js';
import type { CloudContext, CloudService, RunningService } from './cloud-service.js';

/** What the linuxbridge backend is built from (the [network] options and where nova's metadata API listens). */
interface BackendSettings {
  readonly stateDir: string;
  readonly interfaceMappings: string;
  readonly vxlanLocalIp: string;
  readonly metadataUrl: string;
  /** How the metadata relay signs requests for nova (the agent's lookup and the shared secret). */
  readonly metadataSigning: MetadataSigning;
  readonly logger: CloudContext['logger'];
}

/** What the linuxbridge backend's metadata relay is given (its MetadataSigning). */
interface MetadataSigning {
  readonly resolve: NetworkAgent['metadataInstance'];
  readonly secret: string;
}

type LinuxBridgeModule = { LinuxBridgeNetworkBackend?: { create(o: unknown): Promise<NetworkBackend> }; parseInterfaceMappings?(t: string): Record<string, string> };

/**
 * The agent's backend. `linuxbridge` needs root and ip/nft/dnsmasq; when the host cannot run it,
 * `strata up` warns and falls back to `noop` rather than not starting.
 */
async function loadBackend(kind: 'noop' | 'linuxbridge', s: BackendSettings): Promise<NetworkBackend> {
  if (kind === 'noop') return NoopNetworkBackend.create();
  const name = '@strata/net-linuxbridge';
  try {
    const mod = (await import(name)) as LinuxBridgeModule;
    if (mod.LinuxBridgeNetworkBackend === undefined || mod.parseInterfaceMappings === undefined) throw new Error('@strata/net-linuxbridge exports no LinuxBridgeNetworkBackend');
    return await mod.LinuxBridgeNetworkBackend.create({ stateDir: s.stateDir, interfaceMappings: mod.parseInterfaceMappings(s.interfaceMappings), vxlanLocalIp: s.vxlanLocalIp, metadataUrl: s.metadataUrl, metadataSigning: s.metadataSigning, logger: s.logger });
  } catch (err) {
    const msg = `[network] backend = linuxbridge is not usable here (${(err as Error).message}); falling back to the noop backend`;
    s.logger.warn({ err: (err as Error).message }, msg);
    process.stderr.write(`warning: ${msg}\n`);
    return NoopNetworkBackend.create();
  }
}

type Json = Record<string, any>;

/**
 * On first start: a `public` external flat network with 172.24.4.0/24, and for the admin project a
 * `private` network with 10.0.0.0/24 behind `router1` (gateway on public), as DevStack sets up.
 * Each piece is made only when missing, so restarts change nothing.
 */
async function createDefaultNetworks(base: string, authUrl: string, token: string): Promise<void> {
  const h = { 'x-auth-token': token };
  const projectId = (await new IdentityClient(authUrl).validateToken(token, token)).project?.id;
  if (projectId === undefined) return;
  const get = async (path: string) => (await requestJson<Json>(`${base}/v2.0/${path}`, { headers: h })).body;
  const post = async (path: string, body: unknown) => (await requestJson<Json>(`${base}/v2.0/${path}`, { method: 'POST', headers: h, body })).body;

  let pub = (await get('networks?name=public&router:external=true')).networks[0] as Json | undefined;
  pub ??= (await post('networks', { network: { name: 'public', 'router:external': true, shared: false, 'provider:network_type': 'flat', 'provider:physical_network': 'public' } })).network as Json;
  if ((pub.subnets as string[]).length === 0) {
    await post('subnets', { subnet: { name: 'public-subnet', network_id: pub.id, ip_version: 4, cidr: '172.24.4.0/24', gateway_ip: '172.24.4.1', enable_dhcp: false } });
  }
  let priv = (await get(`networks?name=private&project_id=${projectId}`)).networks[0] as Json | undefined;
  const fresh = priv === undefined;
  priv ??= (await post('networks', { network: { name: 'private' } })).network as Json;
  let subnetId = (priv.subnets as string[])[0];
  subnetId ??= ((await post('subnets', { subnet: { name: 'private-subnet', network_id: priv.id, ip_version: 4, cidr: '10.0.0.0/24' } })).subnet as Json).id as string;
  if (fresh && (await get(`routers?name=router1&project_id=${projectId}`)).routers.length === 0) {
    const router = (await post('routers', { router: { name: 'router1', external_gateway_info: { network_id: pub.id } } })).router as Json;
    await requestJson(`${base}/v2.0/routers/${router.id}/add_router_interface`, { method: 'PUT', headers: h, body: { subnet_id: subnetId } });
  }
}

/** This machine's agent host, the name nova-compute binds ports to: [network] host, else [compute] host, else the machine's. */
export function networkAgentHost(config: StrataConfig): string {
  const computeHost = (config as { compute?: { host?: string } }).compute?.host ?? '';
  return agentHost(config.network.host !== '' ? config.network.host : computeHost !== '' ? computeHost : hostname());
}

/**
 * Start the neutron-agent of `host` on `transport` with the [network] backend (its state under
 * `stateDir`; `metadataUrl` is nova's metadata API, for the linuxbridge backend's proxy, which signs
 * requests with `metadataSecret` for the server the agent looks up through neutron-server).
 */
export async function startNetworkAgent(o: { config: StrataConfig; host: string; transport: Transport; stateDir: string; metadataUrl: string; metadataSecret: string; logger: Logger; tracer: Tracer }): Promise<NetworkAgent> {
  const c = o.config.network;
  // The backend is built before the agent that answers its lookups.
  let agent: NetworkAgent | undefined;
  const resolve: MetadataSigning['resolve'] = async (q) => (agent === undefined ? null : agent.metadataInstance(q));
  const backend = await loadBackend(c.backend, { stateDir: o.stateDir, interfaceMappings: c.physical_interface_mappings, vxlanLocalIp: c.vxlan_local_ip, metadataUrl: o.metadataUrl, metadataSigning: { resolve, secret: o.metadataSecret }, logger: o.logger });
  agent = await NetworkAgent.create({ host: o.host, transport: o.transport, backend, logger: o.logger, tracer: o.tracer, reportIntervalMs: c.agent_report_interval, rpcTimeoutMs: c.rpc_timeout });
  try {
    await agent.start();
  } catch (err) {
    await agent.close().catch(() => undefined);
    throw err;
  }
  o.logger.info({ host: o.host, backend: backend.name }, 'neutron-agent started');
  return agent;
}

/** The network service of the all-in-one. */
export const networkService: CloudService = {
  name: 'network',
  async start(ctx: CloudContext): Promise<RunningService> {
    const c = ctx.config.network;
    const host = networkAgentHost(ctx.config);
    const transport = await createTransport(ctx.config.messaging.transport_url);
    const closers: Array<() => Promise<void>> = [() => transport.close()];
    const close = async (): Promise<void> => {
      for (const f of closers.reverse()) await f().catch((err: unknown) => ctx.logger.error({ err }, 'error while stopping the network service'));
      closers.length = 0;
    };
    try {
      const service = await NetworkService.create({
        databaseUrl: ctx.databaseUrl('network'),
        authUrl: ctx.authUrl,
        logger: ctx.logger,
        tracer: ctx.tracer,
        transport,
        settings: settingsFromConfig(ctx.config),
        host,
        tokenCacheTtlMs: ctx.config.keystone_authtoken.cache_ttl,
        tokenTimeoutMs: ctx.config.keystone_authtoken.timeout,
        novaTimeoutMs: c.nova_notify_timeout,
      });
      closers.push(() => service.close());
      const listen = await service.listen(ctx.listenHost, c.port);
      const url = `http://${ctx.publicHost}:${new URL(listen).port}`;
      if (c.run_agent) {
        const metadataPort = (ctx.config as { compute?: { metadata_port?: number } }).compute?.metadata_port;
        const agent = await startNetworkAgent({
          config: ctx.config,
          host,
          transport,
          stateDir: join(ctx.dataDir, 'linuxbridge'),
          metadataUrl: metadataPort !== undefined ? `http://${localUrlHost(ctx.listenHost)}:${metadataPort}` : '',
          metadataSecret: ctx.metadataSecret,
          logger: ctx.logger,
          tracer: ctx.tracer,
        });
        closers.push(() => agent.close());
      }
      return {
        url,
        catalog: [{ type: 'network', name: 'neutron', description: 'Neutron Networking Service', urls: { public: url, internal: url, admin: url } }],
        serviceUser: { name: 'neutron', configuredPassword: c.service_password },
        // neutron's [nova] section: port events go to nova as neutron's own user; the default networks are the admin's.
        afterBootstrap: async (tokens) => {
          service.nova.useTokenProvider(tokens.service);
          await createDefaultNetworks(url, ctx.authUrl, await tokens.admin());
        },
        close,
      };
    } catch (err) {
      await close();
      throw err;
    }
  },
};
