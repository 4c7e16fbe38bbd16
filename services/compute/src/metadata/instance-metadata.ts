/**
 * What a guest learns about itself (nova's InstanceMetadata): the OpenStack `meta_data.json`,
 * `network_data.json`, `vendor_data.json`, user data and the EC2-style `meta-data/` tree. One
 * builder behind both the metadata API and the config drive, from plain data.
 */
import { randomBytes } from 'node:crypto';
import type { GuestSpec } from '../agent/hypervisor.js';

/** A subnet as the guest's network configuration needs it. */
export interface MetadataSubnet {
  readonly id: string;
  readonly cidr: string;
  readonly ipVersion: 4 | 6;
  readonly gatewayIp: string | null;
  readonly dnsNameservers: readonly string[];
  readonly hostRoutes: ReadonlyArray<{ readonly destination: string; readonly nexthop: string }>;
  readonly enableDhcp: boolean;
}

/** One port of the server. */
export interface MetadataPort {
  readonly portId: string;
  readonly networkId: string;
  readonly macAddress: string;
  readonly mtu?: number;
  /** Fixed addresses, each with its subnet when known (else the guest is told to use DHCP). */
  readonly fixedIps: ReadonlyArray<{ readonly address: string; readonly subnet?: MetadataSubnet }>;
  readonly floatingIps?: readonly string[];
  /** Device tag given at create (shows in `devices`). */
  readonly tag?: string;
}

/** Everything the metadata is made from. */
export interface MetadataSource {
  readonly uuid: string;
  readonly name: string;
  readonly hostname: string;
  readonly availabilityZone: string;
  readonly projectId: string;
  readonly launchIndex: number;
  readonly reservationId: string;
  readonly flavorName: string;
  readonly imageId: string;
  readonly keyName: string | null;
  readonly keyData: string | null;
  readonly metadata: Readonly<Record<string, string>>;
  /** Base64 as the compute API took it, or null. */
  readonly userData: string | null;
  readonly securityGroups: readonly string[];
  readonly ports: readonly MetadataPort[];
  /** Root device name (e.g. /dev/vda). */
  readonly rootDeviceName: string;
  /** Vendor data (vendor_data.json); empty by default. */
  readonly vendorData?: Readonly<Record<string, unknown>>;
}

/** OpenStack metadata versions, oldest first (FOLSOM … ROCKY); `latest` is the newest. */
export const OPENSTACK_VERSIONS = ['2012-08-10', '2013-04-04', '2013-10-17', '2015-10-15', '2016-06-30', '2016-10-06', '2017-02-22', '2018-08-27'] as const;
/** EC2 metadata versions nova serves; `latest` is the newest. */
export const EC2_VERSIONS = ['1.0', '2007-01-19', '2007-03-01', '2007-08-29', '2007-10-10', '2007-12-15', '2008-02-01', '2008-09-01', '2009-04-04'] as const;

/** True when `version` (a dated version or `latest`) is at least `min`. */
export function versionAtLeast(version: string, min: string): boolean {
  return version === 'latest' || version >= min;
}

/** The `meta_data.json` object for one OpenStack version. */
export function metaDataJson(src: MetadataSource, version = 'latest', opts: { randomSeed?: string; adminPass?: string } = {}): Record<string, unknown> {
  const md: Record<string, unknown> = {
    uuid: src.uuid,
    meta: { ...src.metadata },
    ...(src.keyData !== null && src.keyName !== null ? { public_keys: { [src.keyName]: src.keyData } } : {}),
    hostname: src.hostname,
    name: src.name,
    launch_index: src.launchIndex,
    availability_zone: src.availabilityZone,
  };
  if (opts.adminPass !== undefined) md.admin_pass = opts.adminPass;
  if (versionAtLeast(version, '2013-04-04')) md.random_seed = opts.randomSeed ?? randomBytes(512).toString('base64');
  if (versionAtLeast(version, '2015-10-15')) {
    md.project_id = src.projectId;
    md.keys = src.keyData !== null && src.keyName !== null ? [{ name: src.keyName, type: 'ssh', data: src.keyData }] : [];
  }
  if (versionAtLeast(version, '2016-06-30')) {
    md.devices = src.ports.filter((p) => p.tag !== undefined).map((p) => ({ type: 'nic', bus: 'pci', address: '', mac: p.macAddress, tags: [p.tag] }));
  }
  return md;
}

function prefixLength(cidr: string): number {
  return Number(cidr.split('/')[1] ?? (cidr.includes(':') ? 128 : 32));
}

/** Dotted netmask of an IPv4 prefix length; IPv6 keeps the prefix form. */
function netmaskOf(cidr: string, version: 4 | 6): string {
  const len = prefixLength(cidr);
  if (version === 6) return String(len);
  const bits = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return [24, 16, 8, 0].map((s) => (bits >>> s) & 0xff).join('.');
}

/** The `network_data.json` object: links (one per port), networks (one per fixed IP) and DNS services. */
export function networkDataJson(src: MetadataSource): Record<string, unknown> {
  const links: Record<string, unknown>[] = [];
  const networks: Record<string, unknown>[] = [];
  const dns = new Set<string>();
  for (const p of src.ports) {
    const link = `tap${p.portId.slice(0, 11)}`;
    links.push({ id: link, vif_id: p.portId, type: 'bridge', mtu: p.mtu ?? null, ethernet_mac_address: p.macAddress });
    for (const ip of p.fixedIps) {
      const id = `network${networks.length}`;
      const s = ip.subnet;
      const v6 = ip.address.includes(':');
      if (s === undefined) {
        networks.push({ id, type: v6 ? 'ipv6_dhcp' : 'ipv4_dhcp', link, network_id: p.networkId });
        continue;
      }
      for (const d of s.dnsNameservers) dns.add(d);
      const routes = [
        ...(s.gatewayIp !== null ? [{ network: v6 ? '::' : '0.0.0.0', netmask: v6 ? '0' : '0.0.0.0', gateway: s.gatewayIp }] : []),
        ...s.hostRoutes.map((r) => ({ network: r.destination.split('/')[0], netmask: netmaskOf(r.destination, v6 ? 6 : 4), gateway: r.nexthop })),
      ];
      networks.push({
        id,
        type: v6 ? 'ipv6' : 'ipv4',
        link,
        ip_address: ip.address,
        netmask: netmaskOf(s.cidr, v6 ? 6 : 4),
        routes,
        network_id: p.networkId,
        services: s.dnsNameservers.map((address) => ({ type: 'dns', address })),
      });
    }
  }
  return { links, networks, services: [...dns].map((address) => ({ type: 'dns', address })) };
}

/** The fixed IPv4 of the first port (EC2 local-ipv4), or ''. */
function firstFixedV4(src: MetadataSource): string {
  for (const p of src.ports) for (const ip of p.fixedIps) if (!ip.address.includes(':')) return ip.address;
  return '';
}

/** An EC2 tree: leaves are strings, directories nested objects (listed with a trailing slash). */
export interface Ec2Tree {
  readonly [key: string]: string | Ec2Tree;
}

/** The EC2-style `meta-data/` tree (nova's get_ec2_metadata). */
export function ec2MetaData(src: MetadataSource): Ec2Tree {
  const floating = src.ports.flatMap((p) => p.floatingIps ?? [])[0] ?? '';
  const hostname = src.hostname.includes('.') ? src.hostname : `${src.hostname}.novalocal`;
  const ec2Id = `i-${parseInt(src.uuid.replace(/-/g, '').slice(-8), 16).toString(16).padStart(8, '0')}`;
  const tree: Record<string, string | Ec2Tree> = {
    'ami-id': src.imageId === '' ? 'ami-00000000' : `ami-${src.imageId.replace(/-/g, '').slice(0, 8)}`,
    'ami-launch-index': String(src.launchIndex),
    'ami-manifest-path': 'FIXME',
    'block-device-mapping': { ami: src.rootDeviceName.replace(/^\/dev\//, ''), root: src.rootDeviceName },
    hostname,
    'instance-action': 'none',
    'instance-id': ec2Id,
    'instance-type': src.flavorName,
    'local-hostname': hostname,
    'local-ipv4': firstFixedV4(src),
    placement: { 'availability-zone': src.availabilityZone },
    'public-hostname': hostname,
    'public-ipv4': floating,
    'reservation-id': src.reservationId,
    'security-groups': src.securityGroups.join('\n'),
  };
  if (src.keyData !== null && src.keyName !== null) tree['public-keys'] = { [`0=${src.keyName}`]: { 'openssh-key': src.keyData } };
  return tree;
}

/** User data as bytes, or undefined. */
export function userDataBytes(src: MetadataSource): Buffer | undefined {
  return src.userData === null || src.userData === '' ? undefined : Buffer.from(src.userData, 'base64');
}

/**
 * The config drive's content as the virt drivers take it (`ConfigDriveData` of @strata/virt):
 * meta_data.json, user data (still base64), network_data.json and vendor_data.json.
 */
export function configDriveData(src: MetadataSource, opts: { adminPass?: string } = {}): { metaData: Record<string, unknown>; userData?: string; networkData: Record<string, unknown>; vendorData: Record<string, unknown> } {
  return {
    metaData: metaDataJson(src, 'latest', opts),
    ...(userDataBytes(src) !== undefined ? { userData: src.userData as string } : {}),
    networkData: networkDataJson(src),
    vendorData: { ...(src.vendorData ?? {}) },
  };
}

function flattenEc2(tree: Ec2Tree, prefix: string, out: Map<string, Buffer>): void {
  for (const [k, v] of Object.entries(tree)) {
    const name = k.replace(/=.*$/, '');
    if (typeof v === 'string') out.set(`${prefix}/${name}`, Buffer.from(v));
    else flattenEc2(v, `${prefix}/${name}`, out);
  }
}

/**
 * Every file of a config drive (path relative to its root → content): `openstack/<v>/…` for
 * `latest` and each dated version, and the EC2 tree under `ec2/<v>/meta-data.json` and
 * `ec2/latest/meta-data/...`. The same random_seed is used throughout.
 */
export function configDriveTree(src: MetadataSource, opts: { adminPass?: string } = {}): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const randomSeed = randomBytes(512).toString('base64');
  const user = userDataBytes(src);
  for (const v of [...OPENSTACK_VERSIONS, 'latest']) {
    files.set(`openstack/${v}/meta_data.json`, Buffer.from(JSON.stringify(metaDataJson(src, v, { ...opts, randomSeed }))));
    if (user !== undefined) files.set(`openstack/${v}/user_data`, user);
    if (versionAtLeast(v, '2013-10-17')) files.set(`openstack/${v}/vendor_data.json`, Buffer.from(JSON.stringify(src.vendorData ?? {})));
    if (versionAtLeast(v, '2015-10-15')) files.set(`openstack/${v}/network_data.json`, Buffer.from(JSON.stringify(networkDataJson(src))));
    if (versionAtLeast(v, '2016-10-06')) files.set(`openstack/${v}/vendor_data2.json`, Buffer.from('{}'));
  }
  const ec2 = ec2MetaData(src);
  files.set('ec2/2009-04-04/meta-data.json', Buffer.from(JSON.stringify(ec2)));
  files.set('ec2/latest/meta-data.json', Buffer.from(JSON.stringify(ec2)));
  flattenEc2(ec2, 'ec2/latest/meta-data', files);
  if (user !== undefined) {
    files.set('ec2/2009-04-04/user-data', user);
    files.set('ec2/latest/user-data', user);
  }
  return files;
}

/** Hostname nova derives from a display name: lower case, [a-z0-9-], at most 63 characters. */
export function hostnameOf(name: string): string {
  const h = name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63);
  return h === '' ? 'server' : h;
}

/**
 * A MetadataSource from what a hypervisor driver gets (GuestSpec), for the config drive. Fields
 * the spec does not carry come from `extra` or sensible defaults; ports get DHCP configuration.
 */
export function metadataSourceFromGuestSpec(spec: GuestSpec, extra: Partial<MetadataSource> = {}): MetadataSource {
  const keyData = spec.keyData;
  return {
    uuid: spec.instanceId,
    name: spec.displayName ?? spec.name,
    hostname: hostnameOf(spec.displayName ?? spec.name),
    availabilityZone: spec.availabilityZone ?? 'nova',
    projectId: spec.projectId ?? '',
    launchIndex: 0,
    reservationId: '',
    flavorName: spec.flavorName ?? '',
    imageId: spec.imageId ?? '',
    keyName: keyData === null ? null : (spec.keyName ?? 'key'),
    keyData,
    metadata: { ...spec.metadata },
    userData: spec.userData,
    securityGroups: [],
    ports: spec.ports.map((p) => ({ portId: p.portId, networkId: p.networkId, macAddress: p.macAddress, fixedIps: p.ips.map((address) => ({ address })) })),
    rootDeviceName: '/dev/vda',
    ...extra,
  };
}
