/**
 * Which server a metadata request is from (nova's metadata handler): a signed `X-Instance-ID`
 * from a metadata proxy when a shared secret is set, else the fixed IP in `X-Forwarded-For` on the
 * network (or behind the router) that neutron's proxy names. Also gathers what the metadata is built from.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { BlockList, isIP } from 'node:net';
import { BadRequest, Forbidden, NotFound } from '@strata/errors';
import type { Logger } from '@strata/log';
import type { Instance } from '../objects/instance.js';
import type { InstanceStore } from '../objects/instance.js';
import type { NetworkService } from '../clients/network-service.js';
import type { MetadataPort, MetadataSource, MetadataSubnet } from './instance-metadata.js';

/** What the lookup needs. */
export interface MetadataLookupOptions {
  readonly instances: InstanceStore;
  readonly networks: NetworkService;
  /** A service (admin) token for neutron; undefined until the cloud is bootstrapped. */
  readonly serviceToken: () => Promise<string | undefined>;
  /** [compute] metadata_proxy_shared_secret; set = only signed requests are answered. */
  readonly sharedSecret: string;
  readonly logger: Logger;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** How long a server's metadata is reused (nova's metadata_cache_expiration). */
const CACHE_MS = 15_000;
const CACHE_MAX = 1000;

/** HMAC-SHA256 (hex) of an instance id with the shared secret: what a metadata proxy signs. */
export function signInstanceId(instanceId: string, secret: string): string {
  return createHmac('sha256', secret).update(instanceId).digest('hex');
}

function header(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Resolves requests to instances and instances to metadata sources. */
export class MetadataLookup {
  readonly #o: MetadataLookupOptions;
  readonly #cache = new Map<string, { readonly until: number; readonly updatedAt: string; readonly source: MetadataSource }>();
  constructor(o: MetadataLookupOptions) {
    this.#o = o;
  }

  /**
   * The instance a request comes from; throws nova's 400/403/404. With a shared secret (nova's
   * service_metadata_proxy) only a signed X-Instance-ID counts; without one, the fixed IP in
   * X-Forwarded-For on the network (or behind the router) neutron's proxy names.
   */
  async instanceOf(headers: IncomingHttpHeaders): Promise<Instance> {
    if (this.#o.sharedSecret !== '') return this.#byProxyHeaders(headers, header(headers, 'x-instance-id'), header(headers, 'x-instance-id-signature'));
    const forwarded = header(headers, 'x-forwarded-for')?.split(',')[0]?.trim();
    const networkId = header(headers, 'x-neutron-network-id');
    const routerId = header(headers, 'x-neutron-router-id');
    if (forwarded !== undefined && (networkId !== undefined || routerId !== undefined)) return this.#byFixedIp(forwarded, networkId, routerId);
    throw new NotFound('The resource could not be found.', {}, 'NotFound');
  }

  async #byProxyHeaders(headers: IncomingHttpHeaders, instanceId: string | undefined, signature: string | undefined): Promise<Instance> {
    if (instanceId === undefined) throw new BadRequest('X-Instance-ID header is missing from request.', {}, 'BadRequest');
    if (signature === undefined) throw new BadRequest('X-Instance-ID-Signature header is missing from request.', {}, 'BadRequest');
    // Node joins repeated headers with ", ".
    if (instanceId.includes(',')) throw new BadRequest('Multiple X-Instance-ID headers found within request.', {}, 'BadRequest');
    if (signature.includes(',')) throw new BadRequest('Multiple X-Instance-ID-Signature headers found within request.', {}, 'BadRequest');
    const expected = Buffer.from(signInstanceId(instanceId, this.#o.sharedSecret));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      this.#o.logger.warn({ instanceId }, 'metadata request with an invalid proxy signature');
      throw new Forbidden('Invalid proxy request signature.', {}, 'Forbidden');
    }
    const instance = UUID.test(instanceId) ? await this.#o.instances.find(instanceId) : undefined;
    if (instance === undefined) throw new NotFound('The resource could not be found.', {}, 'NotFound');
    const tenant = header(headers, 'x-tenant-id');
    if (tenant !== undefined && tenant !== instance.projectId) {
      this.#o.logger.warn({ instanceId, tenant }, 'metadata request: X-Tenant-ID does not own the instance');
      throw new NotFound('The resource could not be found.', {}, 'NotFound');
    }
    return instance;
  }

  async #byFixedIp(ip: string, networkId: string | undefined, routerId: string | undefined): Promise<Instance> {
    const notFound = (): NotFound => new NotFound('The resource could not be found.', {}, 'NotFound');
    if (isIP(ip) === 0) throw new BadRequest('X-Forwarded-For is not an IP address.', {}, 'BadRequest');
    for (const id of [networkId, routerId]) if (id !== undefined && !UUID.test(id)) throw notFound();
    const token = await this.#o.serviceToken();
    if (token === undefined) throw notFound();
    let networkIds: string[];
    if (networkId !== undefined) {
      networkIds = [networkId];
    } else {
      const ifaces = await this.#o.networks.raw<{ ports: Array<{ network_id: string; device_owner: string }> }>(token, 'GET', `/ports?device_id=${encodeURIComponent(routerId ?? '')}`);
      networkIds = ifaces.ports.filter((p) => p.device_owner.startsWith('network:router_interface')).map((p) => p.network_id);
    }
    if (networkIds.length === 0) throw notFound();
    const query = [`fixed_ips=${encodeURIComponent(`ip_address=${ip}`)}`, ...networkIds.map((n) => `network_id=${encodeURIComponent(n)}`)].join('&');
    const found = await this.#o.networks.raw<{ ports: Array<{ device_id: string; device_owner: string }> }>(token, 'GET', `/ports?${query}`);
    const port = found.ports.find((p) => p.device_owner.startsWith('compute:') && UUID.test(p.device_id));
    if (port === undefined) throw notFound();
    const instance = await this.#o.instances.find(port.device_id);
    if (instance === undefined) throw notFound();
    return instance;
  }

  /** What the metadata of `i` is built from: the row, plus subnets from neutron; reused for 15 s while the row is unchanged. */
  async sourceOf(i: Instance): Promise<MetadataSource> {
    const hit = this.#cache.get(i.id);
    if (hit !== undefined && hit.until > Date.now() && hit.updatedAt === i.updatedAt) return hit.source;
    const source = await this.#build(i);
    if (this.#cache.size >= CACHE_MAX) this.#cache.delete(this.#cache.keys().next().value as string);
    this.#cache.set(i.id, { until: Date.now() + CACHE_MS, updatedAt: i.updatedAt, source });
    return source;
  }

  async #build(i: Instance): Promise<MetadataSource> {
    const ports: MetadataPort[] = [];
    const token = await this.#o.serviceToken().catch(() => undefined);
    const subnetCache = new Map<string, MetadataSubnet[]>();
    for (const n of i.networkInfo) {
      const fixed = n.ips.filter((a) => a.type === 'fixed').map((a) => a.address);
      let subnets: MetadataSubnet[] = [];
      if (token !== undefined) {
        try {
          subnets = subnetCache.get(n.networkId) ?? (await this.#subnets(token, n.networkId));
          subnetCache.set(n.networkId, subnets);
        } catch (err) {
          this.#o.logger.debug({ err, networkId: n.networkId }, 'metadata: subnets not available; the guest gets DHCP');
        }
      }
      ports.push({
        portId: n.portId,
        networkId: n.networkId,
        macAddress: n.macAddress,
        fixedIps: fixed.map((address) => {
          const subnet = subnets.find((s) => inCidr(address, s.cidr));
          return subnet === undefined ? { address } : { address, subnet };
        }),
        floatingIps: n.ips.filter((a) => a.type === 'floating').map((a) => a.address),
        ...(n.tag !== undefined ? { tag: n.tag } : {}),
      });
    }
    return {
      uuid: i.id,
      name: i.name,
      hostname: i.hostname,
      availabilityZone: i.availabilityZone ?? 'nova',
      projectId: i.projectId,
      launchIndex: i.launchIndex,
      reservationId: i.reservationId,
      flavorName: i.flavor.name,
      imageId: i.imageRef,
      keyName: i.keyName,
      keyData: i.keyData,
      metadata: i.metadata,
      userData: i.userData,
      securityGroups: i.securityGroups,
      ports,
      rootDeviceName: i.rootDeviceName ?? '/dev/vda',
    };
  }

  async #subnets(token: string, networkId: string): Promise<MetadataSubnet[]> {
    const b = await this.#o.networks.raw<{ subnets: Array<Record<string, unknown>> }>(token, 'GET', `/subnets?network_id=${encodeURIComponent(networkId)}`);
    return b.subnets.map((s) => ({
      id: String(s.id),
      cidr: String(s.cidr),
      ipVersion: s.ip_version === 6 ? 6 : 4,
      gatewayIp: typeof s.gateway_ip === 'string' ? s.gateway_ip : null,
      dnsNameservers: Array.isArray(s.dns_nameservers) ? s.dns_nameservers.map(String) : [],
      hostRoutes: Array.isArray(s.host_routes) ? (s.host_routes as Array<{ destination: string; nexthop: string }>) : [],
      enableDhcp: s.enable_dhcp !== false,
    }));
  }
}

/** True when `address` is inside `cidr` (IPv4 or IPv6). */
export function inCidr(address: string, cidr: string): boolean {
  const [net, len] = cidr.split('/');
  const family = isIP(address);
  if (net === undefined || family === 0 || isIP(net) !== family) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const list = new BlockList();
  try {
    list.addSubnet(net, Number(len ?? (family === 4 ? 32 : 128)), type);
  } catch {
    return false;
  }
  return list.check(address, type);
}
