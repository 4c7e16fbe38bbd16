/**
 * `strata host`: one more host for a running cloud, in this process: nova-compute and the
 * neutron-agent of one host name, on the controller's RabbitMQ. The host holds no database
 * credentials (conductor and neutron-server do its reads and writes); it finds glance, neutron
 * and cinder in keystone's catalog and calls them as nova's service user.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@strata/log';
import { createTransport } from '@strata/rpc';
import { Tracer } from '@strata/trace';
import { ComputeNode } from '@strata/compute';
import type { StrataConfig } from './strata-config.js';
import { readOpenrcValue } from './credential-files.js';
import { knownServicePassword, metadataProxySecret, passwordTokenSource, readServicePasswords, SERVICE_PROJECT } from './service-users.js';
import { computeSettings, createHypervisor } from './services/compute.js';
import { startNetworkAgent } from './services/network.js';
import { resolveComputeDriver } from './services/qemu-setup.js';
import { localUrlHost } from './url-host.js';

/** A host that cannot start as asked (bad name, no shared bus, no keystone, no password). */
export class HostError extends Error {}

/** How to start a host. */
export interface StartHostOptions {
  /** The host's name: its nova-compute and neutron-agent serve `compute.<name>` and `neutron-agent.<name>`. */
  readonly name: string;
  /** The controller's data dir (openrc, service-credentials.json) or a directory of this host's own. */
  readonly dataDir: string;
  readonly config: StrataConfig;
  readonly logger: Logger;
  /** Keystone's URL; default: OS_AUTH_URL of <data-dir>/openrc, else [DEFAULT] public_host/host and [identity] port. */
  readonly authUrl?: string;
}

/** A running host. */
export interface Host {
  readonly name: string;
  readonly authUrl: string;
  readonly driver: 'fake' | 'qemu';
  /** Stop both services: their heartbeats stop, so the controller shows them down after its down time. Idempotent. */
  close(): Promise<void>;
}

const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;

/** Keystone's auth URL (…/v3) for a host: the flag, the controller's openrc, or the config's identity address. */
export function hostAuthUrl(o: { authUrl?: string; dataDir: string; config: StrataConfig }): string {
  const raw = o.authUrl ?? readOpenrcValue(o.dataDir, 'OS_AUTH_URL') ?? `http://${localUrlHost(o.config.DEFAULT.public_host === '' ? o.config.DEFAULT.host : o.config.DEFAULT.public_host)}:${o.config.identity.port}/v3`;
  const trimmed = raw.replace(/\/+$/, '');
  return /\/v3$/.test(trimmed) ? trimmed : `${trimmed}/v3`;
}

/** A bus URL without its password, for messages. */
export function maskTransportUrl(url: string): string {
  return url.replace(/^(\w+:\/\/[^:/@]*):[^@]*@/, '$1:***@');
}

/** Throws HostError unless `name` can name a host (letters, digits and . _ -). */
export function checkHostName(name: string): void {
  if (!HOST_NAME.test(name)) throw new HostError(`invalid host name ${JSON.stringify(name)}: use letters, digits and . _ - only`);
}

/** Start nova-compute and the neutron-agent of host `name` against the controller. */
export async function startHost(o: StartHostOptions): Promise<Host> {
  const { config, logger } = o;
  checkHostName(o.name);
  const transportUrl = config.messaging.transport_url;
  if (!/^rabbit:\/\//i.test(transportUrl)) {
    throw new HostError(`[messaging] transport_url is ${transportUrl}: a host needs the bus it shares with the controller; set it (or OS_MESSAGING__TRANSPORT_URL) to the controller's rabbit://user:pass@host:5672/vhost`);
  }
  const authUrl = hostAuthUrl(o);
  const novaPassword = knownServicePassword({ name: 'nova', configuredPassword: config.compute.service_password }, readServicePasswords(o.dataDir));
  if (novaPassword === undefined) {
    throw new HostError(`no password for the service user nova: set [compute] service_password, or use --data-dir with the controller's data dir (service-credentials.json)`);
  }
  const metadataSecret = metadataProxySecret(config.compute.metadata_proxy_shared_secret, o.dataDir, { generate: false });
  if (metadataSecret === undefined) {
    throw new HostError(`no metadata proxy secret: set [compute] metadata_proxy_shared_secret to the controller's, or use --data-dir with the controller's data dir (service-credentials.json)`);
  }
  // nova's calls to neutron (port bindings) go out as nova; fail now, not at the first build, when keystone or the password is wrong.
  const novaToken = passwordTokenSource(authUrl, { username: 'nova', password: novaPassword, projectName: SERVICE_PROJECT });
  try {
    await novaToken();
  } catch (err) {
    throw new HostError(`cannot authenticate as the service user nova at ${authUrl}: ${(err as Error).message}`);
  }

  const hostDir = join(o.dataDir, 'hosts', o.name);
  mkdirSync(hostDir, { recursive: true, mode: 0o700 });
  const tracer = new Tracer();
  const driver = await resolveComputeDriver(config.compute.driver, logger);
  const closers: Array<() => Promise<void>> = [];
  const close = async (): Promise<void> => {
    for (const c of closers.splice(0).reverse()) await c().catch((err: unknown) => logger.error({ err }, 'error while stopping the host'));
  };
  try {
    // The agent first: nova-compute binds ports to this host as soon as it reports in.
    const transport = await createTransport(transportUrl);
    closers.push(() => transport.close());
    const agent = await startNetworkAgent({
      config,
      host: o.name,
      transport,
      stateDir: join(hostDir, 'linuxbridge'),
      metadataUrl: `http://${new URL(authUrl).hostname}:${config.compute.metadata_port}`,
      metadataSecret,
      logger,
      tracer,
    });
    closers.push(() => agent.close());
    const hypervisor = await createHypervisor(driver, o.name, { config, dataDir: hostDir, logger });
    let node: ComputeNode;
    try {
      node = await ComputeNode.create({ authUrl, transportUrl, logger, tracer, settings: computeSettings(config), hosts: [{ host: o.name, hypervisor }], stateDir: join(hostDir, 'compute') });
    } catch (err) {
      await hypervisor.close().catch(() => undefined);
      throw err;
    }
    node.useServiceToken(novaToken);
    closers.push(() => node.close());
    logger.info({ host: o.name, authUrl, transport: maskTransportUrl(transportUrl), driver }, 'host started');
    return { name: o.name, authUrl, driver, close };
  } catch (err) {
    await close();
    throw err;
  }
}
