/** Volumes: create, extend, snapshot, attach to / detach from an instance, delete; and the project's snapshots. */
import { useState } from 'react';
import { Alert, Badge, Button, Group, Menu, Modal, NumberInput, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useSession } from '../api/session';
import { useVolumes, type Volume } from '../api/resources';
import { describe } from '../api/errors';
import { ConfirmDelete, useRunner } from '../components/Crud';

type Dialog = { kind: 'create' } | { kind: 'extend' | 'snapshot' | 'attach'; volume: Volume } | null;

export default function VolumesPage() {
  const { session, call } = useSession();
  const volumes = useVolumes();
  const snapshots = useQuery({ queryKey: [session?.project.id, 'snapshots'], queryFn: async () => (await call('block-storage', '/snapshots/detail')).snapshots as Array<{ id: string; name: string | null; status: string; size: number; volume_id: string }>, refetchInterval: 5000 });
  const servers = useQuery({ queryKey: [session?.project.id, 'server-names'], queryFn: async () => (await call('compute', '/servers?limit=1000')).servers as Array<{ id: string; name: string }> });
  const { busy, run } = useRunner();
  const [dialog, setDialog] = useState<Dialog>(null);
  const [name, setName] = useState('');
  const [size, setSize] = useState<number>(1);
  const [serverId, setServerId] = useState<string | null>(null);
  const close = (): void => setDialog(null);
  const serverName = (id: string): string => servers.data?.find((s) => s.id === id)?.name ?? id.slice(0, 8);
  const open = (d: Dialog): void => {
    setName(d !== null && d.kind === 'snapshot' ? `${d.volume.name || d.volume.id.slice(0, 8)}-snap` : '');
    setSize(d !== null && d.kind === 'extend' ? d.volume.size + 1 : 1);
    setServerId(null);
    setDialog(d);
  };
  const vol = dialog !== null && dialog.kind !== 'create' ? dialog.volume : undefined;
  return (
    <>
      <Group justify="space-between" mb="md">
        <Title order={2}>Volumes</Title>
        <Button onClick={() => open({ kind: 'create' })}>Create volume</Button>
      </Group>
      {volumes.isError && <Alert color="red">{describe(volumes.error)}</Alert>}
      <Table striped>
        <Table.Thead><Table.Tr><Table.Th>Name</Table.Th><Table.Th>Size</Table.Th><Table.Th>Status</Table.Th><Table.Th>Attached to</Table.Th><Table.Th>Bootable</Table.Th><Table.Th /></Table.Tr></Table.Thead>
        <Table.Tbody>
          {(volumes.data ?? []).map((v) => (
            <Table.Tr key={v.id} data-testid="volume-row" data-name={v.name ?? ''}>
              <Table.Td>{v.name || v.id}</Table.Td>
              <Table.Td>{v.size} GB</Table.Td>
              <Table.Td><Badge color={v.status === 'available' ? 'green' : v.status === 'in-use' ? 'blue' : v.status === 'error' ? 'red' : 'gray'}>{v.status}</Badge></Table.Td>
              <Table.Td>{v.attachments.map((a) => `${serverName(a.server_id)}${a.device ? ` on ${a.device}` : ''}`).join(', ')}</Table.Td>
              <Table.Td>{v.bootable}</Table.Td>
              <Table.Td>
                <Group gap="xs" justify="flex-end" wrap="nowrap">
                  <Menu withinPortal>
                    <Menu.Target><Button size="xs" variant="default">Actions</Button></Menu.Target>
                    <Menu.Dropdown>
                      <Menu.Item disabled={v.status !== 'available'} onClick={() => open({ kind: 'extend', volume: v })}>Extend</Menu.Item>
                      <Menu.Item onClick={() => open({ kind: 'snapshot', volume: v })}>Create snapshot</Menu.Item>
                      <Menu.Item disabled={v.status !== 'available'} onClick={() => open({ kind: 'attach', volume: v })}>Attach to instance</Menu.Item>
                      {v.attachments.map((a) => (
                        <Menu.Item key={a.server_id} onClick={() => void run('Detached', () => call('compute', `/servers/${a.server_id}/os-volume_attachments/${v.id}`, { method: 'DELETE' }))}>Detach from {serverName(a.server_id)}</Menu.Item>
                      ))}
                    </Menu.Dropdown>
                  </Menu>
                  <ConfirmDelete what={`volume ${v.name || v.id}`} onConfirm={() => run('Deleted volume', () => call('block-storage', `/volumes/${v.id}`, { method: 'DELETE' }))} />
                </Group>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>

      <Title order={3} mt="xl" mb="sm">Volume snapshots</Title>
      <Table striped>
        <Table.Thead><Table.Tr><Table.Th>Name</Table.Th><Table.Th>Size</Table.Th><Table.Th>Status</Table.Th><Table.Th>Volume</Table.Th><Table.Th /></Table.Tr></Table.Thead>
        <Table.Tbody>
          {(snapshots.data ?? []).map((s) => (
            <Table.Tr key={s.id}>
              <Table.Td>{s.name || s.id}</Table.Td>
              <Table.Td>{s.size} GB</Table.Td>
              <Table.Td>{s.status}</Table.Td>
              <Table.Td>{volumes.data?.find((v) => v.id === s.volume_id)?.name || s.volume_id}</Table.Td>
              <Table.Td><ConfirmDelete what={`snapshot ${s.name || s.id}`} onConfirm={() => run('Deleted snapshot', () => call('block-storage', `/snapshots/${s.id}`, { method: 'DELETE' }))} /></Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>

      <Modal opened={dialog !== null} onClose={close} title={dialog === null ? '' : dialog.kind === 'create' ? 'Create volume' : dialog.kind === 'extend' ? 'Extend volume' : dialog.kind === 'snapshot' ? 'Create snapshot' : 'Attach volume'}>
        <Stack>
          {(dialog?.kind === 'create' || dialog?.kind === 'snapshot') && <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} />}
          {(dialog?.kind === 'create' || dialog?.kind === 'extend') && (
            <NumberInput label="Size (GB)" min={dialog.kind === 'extend' ? (vol?.size ?? 0) + 1 : 1} value={size} onChange={(v) => setSize(Number(v))}
              error={dialog.kind === 'extend' && vol !== undefined && size <= vol.size ? `Must be larger than ${vol.size} GB` : size < 1 ? 'At least 1 GB' : null} />
          )}
          {dialog?.kind === 'attach' && <Select label="Instance" searchable data={(servers.data ?? []).map((s) => ({ value: s.id, label: s.name }))} value={serverId} onChange={setServerId} />}
          {dialog?.kind === 'snapshot' && vol?.status === 'in-use' && <Text size="sm" c="dimmed">The volume is attached: the snapshot is forced.</Text>}
          <Button
            loading={busy}
            disabled={(dialog?.kind === 'attach' && serverId === null) || size < 1 || (dialog?.kind === 'extend' && vol !== undefined && size <= vol.size)}
            onClick={async () => {
              if (dialog === null) return;
              let ok = false;
              if (dialog.kind === 'create') ok = await run('Volume created', () => call('block-storage', '/volumes', { method: 'POST', body: { volume: { size, ...(name !== '' ? { name } : {}) } } }));
              else if (dialog.kind === 'extend') ok = await run('Volume extended', () => call('block-storage', `/volumes/${dialog.volume.id}/action`, { method: 'POST', body: { 'os-extend': { new_size: size } } }));
              else if (dialog.kind === 'snapshot') ok = await run('Snapshot created', () => call('block-storage', '/snapshots', { method: 'POST', body: { snapshot: { volume_id: dialog.volume.id, force: dialog.volume.status === 'in-use', ...(name !== '' ? { name } : {}) } } }));
              else ok = await run('Volume attached', () => call('compute', `/servers/${serverId}/os-volume_attachments`, { method: 'POST', body: { volumeAttachment: { volumeId: dialog.volume.id } } }));
              if (ok) close();
            }}
          >
            OK
          </Button>
        </Stack>
      </Modal>
    </>
  );
}
