import { useParams } from 'react-router';
import { Alert, Badge, Button, Card, Code, Group, Loader, ScrollArea, SimpleGrid, Tabs, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useSession } from '../api/session';
import { age, mib, useVolumes } from '../api/resources';
import { addressList, STATUS_COLOR, useServer } from '../api/servers';
import { describe } from '../api/errors';
import { Timeline } from '../components/Timeline';
import { VncConsole } from '../components/VncConsole';
import { InstanceActions } from './InstanceActions';

function ConsoleLog({ serverId }: { serverId: string }) {
  const { session, call } = useSession();
  const q = useQuery({
    queryKey: [session?.project.id, 'console-log', serverId],
    queryFn: async () => (await call('compute', `/servers/${serverId}/action`, { method: 'POST', body: { 'os-getConsoleOutput': { length: 200 } } })).output as string,
    refetchInterval: 5000,
  });
  if (q.isPending) return <Loader size="sm" />;
  if (q.isError) return <Alert color="yellow">{describe(q.error)}</Alert>;
  return (
    <>
      <Group mb="xs"><Button size="xs" variant="default" onClick={() => void q.refetch()}>Refresh</Button></Group>
      <ScrollArea h={420}><Code block data-testid="console-log">{q.data || '(empty)'}</Code></ScrollArea>
    </>
  );
}

export function InstanceDetailPage() {
  const { id = '' } = useParams();
  const server = useServer(id);
  const volumes = useVolumes();
  if (server.isPending) return <Loader />;
  if (server.isError) return <Alert color="red" title="Instance">{describe(server.error)}</Alert>;
  const s = server.data;
  const attached = s['os-extended-volumes:volumes_attached'] ?? [];
  const row = (label: string, value: React.ReactNode) => (
    <Group gap="xs" wrap="nowrap"><Text size="sm" c="dimmed" w={120}>{label}</Text><Text size="sm" component="div">{value}</Text></Group>
  );
  return (
    <>
      <Group justify="space-between" mb="md">
        <Group>
          <Title order={2}>{s.name}</Title>
          <Badge size="lg" color={STATUS_COLOR[s.status] ?? 'gray'} data-testid="detail-status">{s.status}</Badge>
          {s['OS-EXT-STS:task_state'] ? <Text c="dimmed">{s['OS-EXT-STS:task_state']}</Text> : null}
        </Group>
        <InstanceActions server={s} />
      </Group>
      {s.fault !== undefined && <Alert color="red" title="Fault" mb="md" data-testid="server-fault">{s.fault.message}</Alert>}
      <Card withBorder mb="md">
        <SimpleGrid cols={{ base: 1, md: 2 }}>
          {row('ID', <Code>{s.id}</Code>)}
          {row('Flavor', `${s.flavor.original_name ?? ''} (${s.flavor.vcpus ?? '?'} vCPU, ${mib(s.flavor.ram ?? 0)}, ${s.flavor.disk ?? '?'} GB)`)}
          {row('Addresses', <span data-testid="detail-addresses">{addressList(s) || '—'}</span>)}
          {row('Created', `${s.created} (${age(s.created)} ago)`)}
          {row('Key pair', s.key_name ?? '—')}
          {row('Security groups', [...new Set((s.security_groups ?? []).map((g) => g.name))].join(', ') || '—')}
          {row('Volumes', <span data-testid="detail-volumes">{attached.map((a) => volumes.data?.find((v) => v.id === a.id)?.name || a.id).join(', ') || '—'}</span>)}
        </SimpleGrid>
      </Card>
      <Tabs defaultValue="timeline" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="timeline">Flow timeline</Tabs.Tab>
          <Tabs.Tab value="log">Console log</Tabs.Tab>
          <Tabs.Tab value="vnc">Console</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="timeline" pt="md"><Timeline serverId={s.id} building={s.status === 'BUILD'} createdAt={s.created} /></Tabs.Panel>
        <Tabs.Panel value="log" pt="md"><ConsoleLog serverId={s.id} /></Tabs.Panel>
        <Tabs.Panel value="vnc" pt="md"><VncConsole serverId={s.id} /></Tabs.Panel>
      </Tabs>
    </>
  );
}
