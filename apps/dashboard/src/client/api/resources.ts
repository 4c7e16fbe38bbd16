/** Queries of the resources several pages show (react-query keys carry the project). */
import { useQuery } from '@tanstack/react-query';
import { useSession } from './session';

export interface Flavor {
  id: string;
  name: string;
  vcpus: number;
  ram: number;
  disk: number;
}
export interface Image {
  id: string;
  name: string;
  status: string;
  visibility: string;
  size: number | null;
  disk_format: string | null;
  min_disk: number;
  min_ram: number;
  owner: string;
  created_at: string;
}
export interface Network {
  id: string;
  name: string;
  status: string;
  shared: boolean;
  'router:external': boolean;
  subnets: string[];
  project_id: string;
}
export interface Volume {
  id: string;
  name: string | null;
  status: string;
  size: number;
  bootable: string;
  attachments: Array<{ server_id: string; device?: string; attachment_id?: string }>;
  created_at: string;
}
export interface SecurityGroup {
  id: string;
  name: string;
  description: string;
  security_group_rules: Array<{ id: string; direction: string; ethertype: string; protocol: string | null; port_range_min: number | null; port_range_max: number | null; remote_ip_prefix: string | null; remote_group_id: string | null }>;
}
export interface FloatingIp {
  id: string;
  floating_ip_address: string;
  fixed_ip_address: string | null;
  port_id: string | null;
  status: string;
  floating_network_id: string;
}
export interface Keypair {
  name: string;
  fingerprint: string;
  type?: string;
}

function useProjectQuery<T>(key: string, service: string, path: string, pick: (body: any) => T, extra: { refetchInterval?: number; enabled?: boolean } = {}) {
  const { session, call } = useSession();
  return useQuery({ queryKey: [session?.project.id, key, path], queryFn: async () => pick(await call(service, path)), enabled: session !== null && extra.enabled !== false, ...(extra.refetchInterval !== undefined ? { refetchInterval: extra.refetchInterval } : {}) });
}

export const useFlavors = () => useProjectQuery<Flavor[]>('flavors', 'compute', '/flavors/detail', (b) => (b.flavors as Flavor[]).sort((a, z) => a.vcpus - z.vcpus || a.ram - z.ram));
export const useImages = () => useProjectQuery<Image[]>('images', 'image', '/v2/images?limit=1000', (b) => b.images as Image[], { refetchInterval: 5000 });
export const useNetworks = () => useProjectQuery<Network[]>('networks', 'network', '/v2.0/networks', (b) => b.networks as Network[]);
export const useVolumes = () => useProjectQuery<Volume[]>('volumes', 'block-storage', '/volumes/detail', (b) => b.volumes as Volume[], { refetchInterval: 3000 });
export const useSecurityGroups = () => useProjectQuery<SecurityGroup[]>('security-groups', 'network', '/v2.0/security-groups', (b) => b.security_groups as SecurityGroup[]);
export const useFloatingIps = () => useProjectQuery<FloatingIp[]>('floating-ips', 'network', '/v2.0/floatingips', (b) => b.floatingips as FloatingIp[], { refetchInterval: 5000 });
export const useKeypairs = () => useProjectQuery<Keypair[]>('keypairs', 'compute', '/os-keypairs', (b) => (b.keypairs as Array<{ keypair: Keypair }>).map((k) => k.keypair));

/** "3m", "2h", "5d" since an ISO time. */
export function age(iso: string | null | undefined, now = Date.now()): string {
  if (iso === null || iso === undefined) return '';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** "2 GB" / "512 MB" from MiB. */
export function mib(n: number): string {
  return n >= 1024 && n % 1024 === 0 ? `${n / 1024} GB` : `${n} MB`;
}

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '';
  const u = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < u.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${u[i]}`;
}
