/** Networks, subnets and routers, with a small topology picture (external networks, routers, project networks, instances). */
import { useState } from 'react';
import { Alert, Badge, Button, Card, Checkbox, Group, Modal, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useSession } from '../api/session';
import { useNetworks, type Network } from '../api/resources';
import { describe } from '../api/errors';
import { ConfirmDelete, useRunner } from '../components/Crud';

interface Subnet {
  id: string;
  name: string;
  network_id: string;
  cidr: string;
  gateway_ip: string | null;
  ip_version: number;
}
interface Router {
  id: string;
  name: string;
  status: string;
  external_gateway_info: { network_id: string } | null;
}
interface Port {
  id: string;
  network_id: string;
  device_id: string;
  device_owner: string;
  fixed_ips: Array<{ subnet_id: string; ip_address: string }>;
}

const CIDR4 = /^(\d{1,3}\.){3}\d{1,3}\/([0-9]|[12][0-9]|3[0-2])$/;

function Topology({ networks, routers, ports }: { networks: Network[]; routers: Router[]; ports: Port[] }) {
  const ext = networks.filter((n) => n['router:external']);
  const internal = networks.filter((n) => !n['router:external']);
  const W = Math.max(640, Math.max(ext.length, routers.length, internal.length) * 170 + 40);
  const xOf = (i: number, n: number): number => ((i + 0.5) * W) / Math.max(1, n);
  const pos = new Map<string, { x: number; y: number }>();
  ext.forEach((n, i) => pos.set(n.id, { x: xOf(i, ext.length), y: 30 }));
  routers.forEach((r, i) => pos.set(r.id, { x: xOf(i, routers.length), y: 120 }));
  internal.forEach((n, i) => pos.set(n.id, { x: xOf(i, internal.length), y: 210 }));
  const links: Array<[string, string]> = [];
  for (const r of routers) if (r.external_gateway_info !== null) links.push([r.id, r.external_gateway_info.network_id]);
  for (const p of ports) if (p.device_owner === 'network:router_interface') links.push([p.device_id, p.network_id]);
  const vms = new Map<string, number>();
  for (const p of ports) if (p.device_owner.startsWith('compute:')) vms.set(p.network_id, (vms.get(p.network_id) ?? 0) + 1);
  return (
    <svg width="100%" viewBox={`0 0 ${W} 270`} role="img" aria-label="Network topology" data-testid="topology">
      {links.map(([a, b], i) => {
        const p = pos.get(a);
        const q = pos.get(b);
        return p && q ? <line key={i} x1={p.x} y1={p.y} x2={q.x} y2={q.y} stroke="#868e96" strokeWidth={2} /> : null;
      })}
      {[...ext, ...internal].map((n) => {
        const p = pos.get(n.id)!;
        return (
          <g key={n.id}>
            <rect x={p.x - 75} y={p.y - 16} width={150} height={32} rx={6} fill={n['router:external'] ? '#d3f9d8' : '#d0ebff'} stroke="#495057" />
            <text x={p.x} y={p.y + 5} textAnchor="middle" fontSize={13}>{n.name || n.id.slice(0, 8)}</text>
            {(vms.get(n.id) ?? 0) > 0 && <text x={p.x} y={p.y + 34} textAnchor="middle" fontSize={11} fill="#495057">{vms.get(n.id)} instance port(s)</text>}
          </g>
        );
      })}
      {routers.map((r) => {
        const p = pos.get(r.id)!;
        return (
          <g key={r.id}>
            <circle cx={p.x} cy={p.y} r={20} fill="#fff3bf" stroke="#495057" />
            <text x={p.x} y={p.y + 36} textAnchor="middle" fontSize={12}>{r.name || r.id.slice(0, 8)}</text>
          </g>
        );
      })}
    </svg>
  );
}

type Dialog = 'network' | 'router' | { interfaceFor: Router } | null;

export default function NetworksPage() {
  const { session, call } = useSession();
  const pid = session?.project.id;
  const networks = useNetworks();
  const subnets = useQuery({ queryKey: [pid, 'subnets'], queryFn: async () => (await call('network', '/v2.0/subnets')).subnets as Subnet[] });
  const routers = useQuery({ queryKey: [pid, 'routers'], queryFn: async () => (await call('network', '/v2.0/routers')).routers as Router[] });
  const ports = useQuery({ queryKey: [pid, 'ports'], queryFn: async () => (await call('network', '/v2.0/ports')).ports as Port[] });
  const { busy, run } = useRunner();
  const [dialog, setDialog] = useState<Dialog>(null);
  const [name, setName] = useState('');
  const [cidr, setCidr] = useState('192.168.10.0/24');
  const [withSubnet, setWithSubnet] = useState(true);
  const [gateway, setGateway] = useState<string | null>(null);
  const [subnetId, setSubnetId] = useState<string | null>(null);
  const external = (networks.data ?? []).filter((n) => n['router:external']);
  const subnetsOf = (n: Network): Subnet[] => (subnets.data ?? []).filter((s) => s.network_id === n.id);
  const close = (): void => {
    setDialog(null);
    setName('');
    setSubnetId(null);
  };
  const cidrError = withSubnet && !CIDR4.test(cidr) ? 'An IPv4 CIDR such as 192.168.10.0/24' : null;
  const err = [networks, subnets, routers, ports].find((q) => q.isError)?.error;
  return (
    <>
      <Group justify="space-between" mb="md">
        <Title order={2}>Networks</Title>
        <Group>
          <Button onClick={() => setDialog('network')}>Create network</Button>
          <Button variant="default" onClick={() => { setGateway(external[0]?.id ?? null); setDialog('router'); }}>Create router</Button>
        </Group>
      </Group>
      {err !== undefined && <Alert color="red" mb="sm">{describe(err)}</Alert>}
      <Card withBorder mb="md">
        <Text fw={600} mb="xs">Topology</Text>
        <Topology networks={networks.data ?? []} routers={routers.data ?? []} ports={ports.data ?? []} />
      </Card>
      <Table striped>
        <Table.Thead><Table.Tr><Table.Th>Network</Table.Th><Table.Th>Subnets</Table.Th><Table.Th>Status</Table.Th><Table.Th>Attributes</Table.Th><Table.Th /></Table.Tr></Table.Thead>
        <Table.Tbody>
          {(networks.data ?? []).map((n) => (
            <Table.Tr key={n.id}>
              <Table.Td>{n.name || n.id}</Table.Td>
              <Table.Td>{subnetsOf(n).map((s) => `${s.name || s.id.slice(0, 8)} ${s.cidr}`).join(', ')}</Table.Td>
              <Table.Td>{n.status}</Table.Td>
              <Table.Td><Group gap={4}>{n['router:external'] && <Badge color="green">external</Badge>}{n.shared && <Badge>shared</Badge>}</Group></Table.Td>
              <Table.Td>{n.project_id === pid && <ConfirmDelete what={`network ${n.name}`} onConfirm={() => run('Network deleted', () => call('network', `/v2.0/networks/${n.id}`, { method: 'DELETE' }))} />}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Title order={3} mt="xl" mb="sm">Routers</Title>
      <Table striped>
        <Table.Thead><Table.Tr><Table.Th>Router</Table.Th><Table.Th>External gateway</Table.Th><Table.Th>Interfaces</Table.Th><Table.Th /></Table.Tr></Table.Thead>
        <Table.Tbody>
          {(routers.data ?? []).map((r) => {
            const ifaces = (ports.data ?? []).filter((p) => p.device_id === r.id && p.device_owner === 'network:router_interface');
            return (
              <Table.Tr key={r.id}>
                <Table.Td>{r.name || r.id}</Table.Td>
                <Table.Td>{r.external_gateway_info ? (networks.data?.find((n) => n.id === r.external_gateway_info!.network_id)?.name ?? r.external_gateway_info.network_id) : '—'}</Table.Td>
                <Table.Td>{ifaces.map((p) => p.fixed_ips.map((f) => f.ip_address).join(', ')).join('; ') || '—'}</Table.Td>
                <Table.Td>
                  <Group gap="xs" justify="flex-end">
                    <Button size="xs" variant="default" onClick={() => setDialog({ interfaceFor: r })}>Add interface</Button>
                    <ConfirmDelete what={`router ${r.name}`} onConfirm={() => run('Router deleted', () => call('network', `/v2.0/routers/${r.id}`, { method: 'DELETE' }))} />
                  </Group>
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>

      <Modal opened={dialog === 'network'} onClose={close} title="Create network">
        <Stack>
          <TextInput label="Name" withAsterisk value={name} onChange={(e) => setName(e.currentTarget.value)} />
          <Checkbox label="With a subnet" checked={withSubnet} onChange={(e) => setWithSubnet(e.currentTarget.checked)} />
          {withSubnet && <TextInput label="Subnet CIDR" value={cidr} error={cidrError} onChange={(e) => setCidr(e.currentTarget.value)} />}
          <Button loading={busy} disabled={name.trim() === '' || cidrError !== null}
            onClick={async () => {
              const ok = await run('Network created', async () => {
                const net = (await call('network', '/v2.0/networks', { method: 'POST', body: { network: { name: name.trim() } } })).network as Network;
                if (withSubnet) await call('network', '/v2.0/subnets', { method: 'POST', body: { subnet: { network_id: net.id, name: `${name.trim()}-subnet`, cidr, ip_version: 4 } } });
              });
              if (ok) close();
            }}>Create</Button>
        </Stack>
      </Modal>
      <Modal opened={dialog === 'router'} onClose={close} title="Create router">
        <Stack>
          <TextInput label="Name" withAsterisk value={name} onChange={(e) => setName(e.currentTarget.value)} />
          <Select label="External network" clearable data={external.map((n) => ({ value: n.id, label: n.name }))} value={gateway} onChange={setGateway} />
          <Button loading={busy} disabled={name.trim() === ''}
            onClick={async () => { if (await run('Router created', () => call('network', '/v2.0/routers', { method: 'POST', body: { router: { name: name.trim(), ...(gateway !== null ? { external_gateway_info: { network_id: gateway } } : {}) } } }))) close(); }}>Create</Button>
        </Stack>
      </Modal>
      <Modal opened={dialog !== null && typeof dialog === 'object'} onClose={close} title="Add router interface">
        <Stack>
          <Select label="Subnet" data={(subnets.data ?? []).filter((s) => !external.some((n) => n.id === s.network_id)).map((s) => ({ value: s.id, label: `${s.name || s.id.slice(0, 8)} (${s.cidr})` }))} value={subnetId} onChange={setSubnetId} />
          <Button loading={busy} disabled={subnetId === null}
            onClick={async () => { if (dialog !== null && typeof dialog === 'object' && (await run('Interface added', () => call('network', `/v2.0/routers/${dialog.interfaceFor.id}/add_router_interface`, { method: 'PUT', body: { subnet_id: subnetId } })))) close(); }}>Add</Button>
        </Stack>
      </Modal>
    </>
  );
}
