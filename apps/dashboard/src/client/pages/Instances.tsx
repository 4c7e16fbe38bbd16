import { useState } from 'react';
import { Link } from 'react-router';
import { Alert, Anchor, Badge, Button, Group, Loader, Table, Text, Title } from '@mantine/core';
import { useImages } from '../api/resources';
import { age, mib } from '../api/resources';
import { addressList, PAGE_SIZE, STATUS_COLOR, useServerPage, type Server } from '../api/servers';
import { LaunchWizard } from './LaunchWizard';
import { InstanceActions } from './InstanceActions';
import { describe } from '../api/errors';

/** A table of servers, one page at a time, with Previous/Next over nova's markers. */
export function ServerTable({ allProjects = false, actions = true }: { allProjects?: boolean; actions?: boolean }) {
  const [markers, setMarkers] = useState<Array<string | undefined>>([undefined]);
  const marker = markers[markers.length - 1];
  const page = useServerPage(marker, allProjects);
  const images = useImages();
  const imageName = (s: Server): string => {
    if (s.image === '' || s.image === undefined) return 'volume';
    return images.data?.find((i) => i.id === (s.image as { id: string }).id)?.name ?? (s.image as { id: string }).id.slice(0, 8);
  };
  if (page.isPending) return <Loader />;
  if (page.isError) return <Alert color="red">{describe(page.error)}</Alert>;
  const servers = page.data.servers;
  return (
    <>
      <Table striped highlightOnHover data-testid="instances-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            {allProjects && <Table.Th>Project</Table.Th>}
            <Table.Th>Status</Table.Th>
            <Table.Th>Addresses</Table.Th>
            <Table.Th>Flavor</Table.Th>
            <Table.Th>Image</Table.Th>
            <Table.Th>Age</Table.Th>
            {actions && <Table.Th />}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {servers.map((s) => (
            <Table.Tr key={s.id} data-testid="instance-row" data-name={s.name} data-status={s.status}>
              <Table.Td>
                <Anchor component={Link} to={`/instances/${s.id}`}>{s.name}</Anchor>
              </Table.Td>
              {allProjects && <Table.Td><Text size="xs" ff="monospace">{s.tenant_id}</Text></Table.Td>}
              <Table.Td>
                <Badge color={STATUS_COLOR[s.status] ?? 'gray'} data-testid="instance-status">{s.status}</Badge>
                {s['OS-EXT-STS:task_state'] ? <Text size="xs" c="dimmed">{s['OS-EXT-STS:task_state']}</Text> : null}
              </Table.Td>
              <Table.Td><Text size="sm">{addressList(s)}</Text></Table.Td>
              <Table.Td>
                <Text size="sm">{s.flavor.original_name ?? s.flavor.id}</Text>
                {s.flavor.vcpus !== undefined && <Text size="xs" c="dimmed">{s.flavor.vcpus} vCPU · {mib(s.flavor.ram ?? 0)} · {s.flavor.disk} GB</Text>}
              </Table.Td>
              <Table.Td><Text size="sm">{imageName(s)}</Text></Table.Td>
              <Table.Td><Text size="sm">{age(s.created)}</Text></Table.Td>
              {actions && <Table.Td><InstanceActions server={s} compact /></Table.Td>}
            </Table.Tr>
          ))}
          {servers.length === 0 && (
            <Table.Tr><Table.Td colSpan={8}><Text c="dimmed">No instances.</Text></Table.Td></Table.Tr>
          )}
        </Table.Tbody>
      </Table>
      <Group mt="sm" justify="space-between">
        <Text size="sm" c="dimmed" data-testid="page-info">Page {markers.length} · {servers.length} shown ({PAGE_SIZE} per page)</Text>
        <Group>
          <Button variant="default" size="xs" disabled={markers.length === 1} onClick={() => setMarkers(markers.slice(0, -1))}>Previous</Button>
          <Button variant="default" size="xs" disabled={!page.data.more} data-testid="next-page" onClick={() => setMarkers([...markers, servers[servers.length - 1]?.id])}>Next</Button>
        </Group>
      </Group>
    </>
  );
}

export function InstancesPage() {
  const [launching, setLaunching] = useState(false);
  return (
    <>
      <Group justify="space-between" mb="md">
        <Title order={2}>Instances</Title>
        <Button onClick={() => setLaunching(true)} data-testid="launch-instance">Launch instance</Button>
      </Group>
      <LaunchWizard opened={launching} onClose={() => setLaunching(false)} />
      <ServerTable />
    </>
  );
}
