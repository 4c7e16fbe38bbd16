/** Admin pages (admin role): hypervisors and their usage, services up/down, all instances, projects and users. */
import { useNavigate, useParams } from 'react-router';
import { Alert, Badge, Card, Group, Loader, Progress, SimpleGrid, Table, Tabs, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from 'recharts';
import { useSession } from '../api/session';
import { describe } from '../api/errors';
import { mib } from '../api/resources';
import { ServerTable } from './Instances';

function useAdminQuery<T>(key: string, service: string, path: string, pick: (b: any) => T) {
  const { session, call } = useSession();
  return useQuery({ queryKey: [session?.project.id, 'admin', key], queryFn: async () => pick(await call(service, path)), refetchInterval: 10_000 });
}

function Hypervisors() {
  const q = useAdminQuery('hypervisors', 'compute', '/os-hypervisors/detail', (b) => b.hypervisors as Array<Record<string, any>>);
  if (q.isPending) return <Loader />;
  if (q.isError) return <Alert color="red">{describe(q.error)}</Alert>;
  const pct = (used: number, total: number): number => Math.round((used / Math.max(1, total)) * 100);
  const chart = q.data.map((h) => ({ name: h.hypervisor_hostname as string, vCPUs: pct(h.vcpus_used, h.vcpus), RAM: pct(h.memory_mb_used, h.memory_mb), Disk: pct(h.local_gb_used, h.local_gb) }));
  return (
    <>
      <Text size="sm" c="dimmed">Usage per hypervisor, % of capacity</Text>
      <BarChart width={720} height={240} data={chart}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="name" />
        <YAxis domain={[0, 100]} unit="%" />
        <Tooltip />
        <Legend />
        <Bar dataKey="vCPUs" fill="#1c7ed6" isAnimationActive={false} />
        <Bar dataKey="RAM" fill="#f76707" isAnimationActive={false} />
        <Bar dataKey="Disk" fill="#12b886" isAnimationActive={false} />
      </BarChart>
      <SimpleGrid cols={{ base: 1, md: 2 }} mt="md">
        {q.data.map((h) => (
          <Card withBorder key={h.id} data-testid="hypervisor">
            <Group justify="space-between"><Text fw={600}>{h.hypervisor_hostname}</Text><Badge color={h.state === 'up' ? 'green' : 'red'}>{h.state} / {h.status}</Badge></Group>
            <Text size="sm" c="dimmed">{h.hypervisor_type} · {h.host_ip} · {h.running_vms} running</Text>
            <Text size="sm" mt="xs">vCPUs {h.vcpus_used} / {h.vcpus}</Text>
            <Progress value={(h.vcpus_used / Math.max(1, h.vcpus)) * 100} />
            <Text size="sm" mt="xs">RAM {mib(h.memory_mb_used)} / {mib(h.memory_mb)}</Text>
            <Progress value={(h.memory_mb_used / Math.max(1, h.memory_mb)) * 100} color="orange" />
            <Text size="sm" mt="xs">Disk {h.local_gb_used} / {h.local_gb} GB</Text>
            <Progress value={(h.local_gb_used / Math.max(1, h.local_gb)) * 100} color="teal" />
          </Card>
        ))}
      </SimpleGrid>
    </>
  );
}

function Services() {
  const nova = useAdminQuery('nova-services', 'compute', '/os-services', (b) => b.services as Array<Record<string, any>>);
  const cinder = useAdminQuery('cinder-services', 'block-storage', '/os-services', (b) => b.services as Array<Record<string, any>>);
  const agents = useAdminQuery('neutron-agents', 'network', '/v2.0/agents', (b) => b.agents as Array<Record<string, any>>);
  const rows = [
    ...(nova.data ?? []).map((s) => ({ key: `n${s.id}`, service: 'compute', binary: s.binary, host: s.host, zone: s.zone, status: s.status, up: s.state === 'up', updated: s.updated_at })),
    ...(cinder.data ?? []).map((s) => ({ key: `c${s.binary}${s.host}`, service: 'block-storage', binary: s.binary, host: s.host, zone: s.zone, status: s.status, up: s.state === 'up', updated: s.updated_at })),
    ...(agents.data ?? []).map((a) => ({ key: `a${a.id}`, service: 'network', binary: a.binary, host: a.host, zone: a.availability_zone ?? '', status: a.admin_state_up ? 'enabled' : 'disabled', up: a.alive === true, updated: a.heartbeat_timestamp })),
  ];
  return (
    <>
      {[nova, cinder, agents].filter((q) => q.isError).map((q, i) => <Alert key={i} color="yellow" mb="xs">{describe(q.error)}</Alert>)}
      <Table striped data-testid="services-table">
        <Table.Thead><Table.Tr><Table.Th>Service</Table.Th><Table.Th>Binary</Table.Th><Table.Th>Host</Table.Th><Table.Th>Zone</Table.Th><Table.Th>Status</Table.Th><Table.Th>State</Table.Th><Table.Th>Updated</Table.Th></Table.Tr></Table.Thead>
        <Table.Tbody>
          {rows.map((r) => (
            <Table.Tr key={r.key}><Table.Td>{r.service}</Table.Td><Table.Td>{r.binary}</Table.Td><Table.Td>{r.host}</Table.Td><Table.Td>{r.zone}</Table.Td><Table.Td>{r.status}</Table.Td><Table.Td><Badge color={r.up ? 'green' : 'red'}>{r.up ? 'up' : 'down'}</Badge></Table.Td><Table.Td><Text size="xs">{r.updated}</Text></Table.Td></Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </>
  );
}

function Identity() {
  const projects = useAdminQuery('projects', 'identity', '/projects', (b) => b.projects as Array<Record<string, any>>);
  const users = useAdminQuery('users', 'identity', '/users', (b) => b.users as Array<Record<string, any>>);
  return (
    <SimpleGrid cols={{ base: 1, lg: 2 }}>
      <div>
        <Title order={4} mb="xs">Projects</Title>
        {projects.isError && <Alert color="red">{describe(projects.error)}</Alert>}
        <Table striped>
          <Table.Thead><Table.Tr><Table.Th>Name</Table.Th><Table.Th>Domain</Table.Th><Table.Th>Enabled</Table.Th></Table.Tr></Table.Thead>
          <Table.Tbody>{(projects.data ?? []).map((p) => <Table.Tr key={p.id}><Table.Td>{p.name}</Table.Td><Table.Td>{p.domain_id}</Table.Td><Table.Td>{p.enabled ? 'yes' : 'no'}</Table.Td></Table.Tr>)}</Table.Tbody>
        </Table>
      </div>
      <div>
        <Title order={4} mb="xs">Users</Title>
        {users.isError && <Alert color="red">{describe(users.error)}</Alert>}
        <Table striped>
          <Table.Thead><Table.Tr><Table.Th>Name</Table.Th><Table.Th>Domain</Table.Th><Table.Th>Enabled</Table.Th></Table.Tr></Table.Thead>
          <Table.Tbody>{(users.data ?? []).map((u) => <Table.Tr key={u.id}><Table.Td>{u.name}</Table.Td><Table.Td>{u.domain_id}</Table.Td><Table.Td>{u.enabled ? 'yes' : 'no'}</Table.Td></Table.Tr>)}</Table.Tbody>
        </Table>
      </div>
    </SimpleGrid>
  );
}

export default function AdminPage() {
  const { tab = 'hypervisors' } = useParams();
  const navigate = useNavigate();
  return (
    <>
      <Title order={2} mb="md">Admin</Title>
      <Tabs value={tab} onChange={(t) => t !== null && navigate(`/admin/${t}`)} keepMounted={false}>
        <Tabs.List mb="md">
          <Tabs.Tab value="hypervisors">Hypervisors</Tabs.Tab>
          <Tabs.Tab value="services">Services</Tabs.Tab>
          <Tabs.Tab value="instances">All instances</Tabs.Tab>
          <Tabs.Tab value="identity">Projects and users</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="hypervisors"><Hypervisors /></Tabs.Panel>
        <Tabs.Panel value="services"><Services /></Tabs.Panel>
        <Tabs.Panel value="instances"><ServerTable allProjects actions={false} /></Tabs.Panel>
        <Tabs.Panel value="identity"><Identity /></Tabs.Panel>
      </Tabs>
    </>
  );
}
