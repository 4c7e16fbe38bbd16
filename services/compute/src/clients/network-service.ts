/** What nova needs from neutron (Network v2.0 over REST): networks, ports with bindings, and their cleanup. */
import { OpenStackError } from '@strata/errors';
import { requestJson } from '@strata/clients';
import { onBehalfOf, type ServiceCatalog } from './service-catalog.js';

/** A network as nova reads it. */
export interface NetworkMeta {
  readonly id: string;
  readonly name: string;
  readonly shared: boolean;
  readonly external: boolean;
  readonly projectId: string;
  readonly subnets: readonly string[];
  readonly mtu?: number;
}

/** A port as nova reads it. */
export interface PortMeta {
  readonly id: string;
  readonly networkId: string;
  readonly deviceId: string;
  readonly deviceOwner: string;
  readonly macAddress: string;
  readonly status: string;
  readonly fixedIps: ReadonlyArray<{ readonly ipAddress: string; readonly subnetId: string }>;
  /** `binding:vif_type` (`bridge` from the linuxbridge backend, `other` from noop, `unbound`). */
  readonly vifType?: string;
  /** `binding:vif_details`. */
  readonly vifDetails?: Readonly<Record<string, unknown>>;
}

function networkOf(n: Record<string, unknown>): NetworkMeta {
  return {
    id: String(n.id),
    name: String(n.name ?? ''),
    shared: n.shared === true,
    external: n['router:external'] === true,
    projectId: String(n.project_id ?? n.tenant_id ?? ''),
    subnets: Array.isArray(n.subnets) ? n.subnets.map(String) : [],
    ...(typeof n.mtu === 'number' ? { mtu: n.mtu } : {}),
  };
}

function portOf(p: Record<string, unknown>): PortMeta {
  const ips = Array.isArray(p.fixed_ips) ? (p.fixed_ips as Array<{ ip_address: string; subnet_id: string }>) : [];
  return {
    id: String(p.id),
    networkId: String(p.network_id),
    deviceId: String(p.device_id ?? ''),
    deviceOwner: String(p.device_owner ?? ''),
    macAddress: String(p.mac_address ?? ''),
    status: String(p.status ?? 'DOWN'),
    fixedIps: ips.map((i) => ({ ipAddress: i.ip_address, subnetId: i.subnet_id })),
    ...(typeof p['binding:vif_type'] === 'string' ? { vifType: p['binding:vif_type'] } : {}),
    ...(typeof p['binding:vif_details'] === 'object' && p['binding:vif_details'] !== null ? { vifDetails: { ...(p['binding:vif_details'] as Record<string, unknown>) } } : {}),
  };
}

/** Neutron as nova uses it; `available` is false when the catalog has no network service. */
export class NetworkService {
  readonly #catalog: ServiceCatalog;
  #serviceToken: ((rejected?: string) => Promise<string>) | undefined;
  constructor(catalog: ServiceCatalog) {
    this.#catalog = catalog;
  }

  /**
   * Give nova its service credentials (nova's [neutron] section): port bindings
   * (`binding:host_id`) are admin-only in neutron, so they are set with this token.
   */
  useServiceToken(token: (rejected?: string) => Promise<string>): void {
    this.#serviceToken = token;
  }

  async #adminToken(userToken: string): Promise<string> {
    return this.#serviceToken === undefined ? userToken : this.#serviceToken();
  }

  /**
   * `call` with the service token; when neutron refuses it (401: revoked, the user disabled and
   * enabled again, its password changed), once more with a new one from the source.
   */
  async #asService<T>(userToken: string, call: (token: string) => Promise<T>): Promise<T> {
    const token = await this.#adminToken(userToken);
    try {
      return await call(token);
    } catch (err) {
      if (this.#serviceToken === undefined || !(err instanceof OpenStackError) || err.status !== 401) throw err;
      return call(await this.#serviceToken(token));
    }
  }

  async #setBinding(token: string, portId: string, host: string, requestId?: string): Promise<PortMeta> {
    const base = await this.#base(token);
    if (base === undefined) throw new Error('no network service');
    const res = await this.#asService(token, (t) => requestJson<{ port: Record<string, unknown> }>(`${base}/ports/${portId}`, { method: 'PUT', headers: onBehalfOf(t, requestId), body: { port: { 'binding:host_id': host } } }));
    return portOf(res.body.port);
  }

  async #base(token: string): Promise<string | undefined> {
    const url = await this.#catalog.endpoint(token, 'network');
    return url === undefined ? undefined : `${url.replace(/\/v2\.0$/, '')}/v2.0`;
  }

  async available(token: string): Promise<boolean> {
    return (await this.#base(token)) !== undefined;
  }

  async #get<T>(token: string, path: string, requestId?: string): Promise<T | undefined> {
    const base = await this.#base(token);
    if (base === undefined) return undefined;
    try {
      return (await requestJson<T>(`${base}${path}`, { headers: onBehalfOf(token, requestId) })).body;
    } catch (err) {
      if (err instanceof OpenStackError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** Any Network v2.0 call (for nova's deprecated proxy APIs); errors keep neutron's status. */
  async raw<T>(token: string, method: string, path: string, body?: unknown, requestId?: string): Promise<T> {
    const base = await this.#base(token);
    if (base === undefined) throw new OpenStackError(404, 'NotFound', 'The resource could not be found.');
    const res = await requestJson<T>(`${base}${path}`, { method, headers: onBehalfOf(token, requestId), ...(body !== undefined ? { body } : {}) });
    return res.body;
  }

  async getNetwork(token: string, id: string, requestId?: string): Promise<NetworkMeta | undefined> {
    const b = await this.#get<{ network: Record<string, unknown> }>(token, `/networks/${encodeURIComponent(id)}`, requestId);
    return b === undefined ? undefined : networkOf(b.network);
  }

  /** Networks the project can attach to: its own and shared ones, not external. */
  async usableNetworks(token: string, projectId: string, requestId?: string): Promise<NetworkMeta[]> {
    const b = await this.#get<{ networks: Array<Record<string, unknown>> }>(token, `/networks`, requestId);
    const nets = (b?.networks ?? []).map(networkOf).filter((n) => !n.external && (n.shared || n.projectId === projectId));
    return nets.sort((a, c) => Number(a.shared) - Number(c.shared));
  }

  async getPort(token: string, id: string, requestId?: string): Promise<PortMeta | undefined> {
    const b = await this.#get<{ port: Record<string, unknown> }>(token, `/ports/${encodeURIComponent(id)}`, requestId);
    return b === undefined ? undefined : portOf(b.port);
  }

  /** A port with its `binding:*` fields, which neutron shows only to admins: read with the service token. */
  async boundPort(token: string, id: string, requestId?: string): Promise<PortMeta | undefined> {
    return this.#asService(token, (t) => this.getPort(t, id, requestId));
  }

  async portsOf(token: string, deviceId: string, requestId?: string): Promise<PortMeta[]> {
    const b = await this.#get<{ ports: Array<Record<string, unknown>> }>(token, `/ports?device_id=${encodeURIComponent(deviceId)}`, requestId);
    return (b?.ports ?? []).map(portOf);
  }

  /** Create a port bound to `host` for the instance. */
  async createPort(token: string, req: { networkId: string; instanceId: string; host: string; projectId: string; fixedIp?: string; securityGroups?: readonly string[] }, requestId?: string): Promise<PortMeta> {
    const base = await this.#base(token);
    if (base === undefined) throw new Error('no network service');
    const body = {
      port: {
        network_id: req.networkId,
        device_id: req.instanceId,
        device_owner: 'compute:nova',
        ...(req.fixedIp !== undefined ? { fixed_ips: [{ ip_address: req.fixedIp }] } : {}),
      },
    };
    const res = await requestJson<{ port: Record<string, unknown> }>(`${base}/ports`, { method: 'POST', headers: onBehalfOf(token, requestId), body });
    const port = portOf(res.body.port);
    try {
      return await this.#setBinding(token, port.id, req.host, requestId);
    } catch (err) {
      await this.deletePort(token, port.id, requestId).catch(() => undefined);
      throw err;
    }
  }

  /** Bind an existing port to the instance on `host`. */
  async bindPort(token: string, portId: string, instanceId: string, host: string, requestId?: string): Promise<PortMeta> {
    const base = await this.#base(token);
    if (base === undefined) throw new Error('no network service');
    const res = await requestJson<{ port: Record<string, unknown> }>(`${base}/ports/${portId}`, {
      method: 'PUT',
      headers: onBehalfOf(token, requestId),
      body: { port: { device_id: instanceId, device_owner: 'compute:nova' } },
    });
    void res;
    return this.#setBinding(token, portId, host, requestId);
  }

  /** Give a port back (pre-existing ports) — clears device and binding. */
  async unbindPort(token: string, portId: string, requestId?: string): Promise<void> {
    const base = await this.#base(token);
    if (base === undefined) return;
    await this.#asService(token, (t) => requestJson(`${base}/ports/${portId}`, { method: 'PUT', headers: onBehalfOf(t, requestId), body: { port: { device_id: '', device_owner: '', 'binding:host_id': '' } } })).catch(() => undefined);
  }

  async deletePort(token: string, portId: string, requestId?: string): Promise<void> {
    const base = await this.#base(token);
    if (base === undefined) return;
    try {
      await requestJson(`${base}/ports/${portId}`, { method: 'DELETE', headers: onBehalfOf(token, requestId) });
    } catch (err) {
      if (!(err instanceof OpenStackError && err.status === 404)) throw err;
    }
  }
}
