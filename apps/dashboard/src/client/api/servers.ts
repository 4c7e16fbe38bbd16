/** Nova servers as the dashboard shows them. */
import { useQuery } from '@tanstack/react-query';
import { useSession } from './session';

export interface Server {
  id: string;
  name: string;
  status: string;
  tenant_id: string;
  created: string;
  addresses: Record<string, Array<{ addr: string; 'OS-EXT-IPS:type'?: string }>>;
  flavor: { original_name?: string; vcpus?: number; ram?: number; disk?: number; id?: string };
  image: { id: string } | '';
  fault?: { message: string; code: number };
  'OS-EXT-STS:task_state'?: string | null;
  'OS-EXT-STS:power_state'?: number;
  'os-extended-volumes:volumes_attached'?: Array<{ id: string }>;
  key_name?: string | null;
  security_groups?: Array<{ name: string }>;
}

export const PAGE_SIZE = 20;

/** One page of servers (marker pagination), polled for live status. */
export function useServerPage(marker: string | undefined, allProjects = false) {
  const { session, call } = useSession();
  const q = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (marker !== undefined) q.set('marker', marker);
  if (allProjects) q.set('all_tenants', '1');
  return useQuery({
    queryKey: [session?.project.id, 'servers', allProjects, marker],
    queryFn: async () => {
      const b = await call<{ servers: Server[]; servers_links?: Array<{ rel: string; href: string }> }>('compute', `/servers/detail?${q.toString()}`);
      return { servers: b.servers, more: (b.servers_links ?? []).some((l) => l.rel === 'next') };
    },
    refetchInterval: 3000,
    placeholderData: (prev) => prev,
  });
}

export function useServer(id: string) {
  const { session, call } = useSession();
  return useQuery({
    queryKey: [session?.project.id, 'server', id],
    queryFn: async () => (await call<{ server: Server }>('compute', `/servers/${id}`)).server,
    refetchInterval: (query) => (query.state.data?.status === 'BUILD' || query.state.data?.['OS-EXT-STS:task_state'] ? 1000 : 4000),
  });
}

export function addressList(s: Server): string {
  return Object.entries(s.addresses ?? {})
    .map(([net, addrs]) => `${net}: ${addrs.map((a) => a.addr).join(', ')}`)
    .join('; ');
}

export const STATUS_COLOR: Record<string, string> = { ACTIVE: 'green', BUILD: 'blue', SHUTOFF: 'gray', ERROR: 'red', REBOOT: 'yellow', HARD_REBOOT: 'yellow', DELETED: 'dark' };
