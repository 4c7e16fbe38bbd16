import { useState } from 'react';
import { useNavigate } from 'react-router';
import { Button, Group, Menu, Modal, Select, Stack, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQueryClient } from '@tanstack/react-query';
import { useSession } from '../api/session';
import { useFloatingIps, useNetworks, useVolumes } from '../api/resources';
import type { Server } from '../api/servers';
import { describe } from '../api/errors';

type Dialog = 'delete' | 'attach' | 'detach' | 'fip' | 'snapshot' | null;

/** The actions on one server: a menu, and a dialog for those that need input or confirmation. */
export function InstanceActions({ server, compact = false }: { server: Server; compact?: boolean }) {
  const { session, call } = useSession();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [dialog, setDialog] = useState<Dialog>(null);
  const [busy, setBusy] = useState(false);
  const [choice, setChoice] = useState<string | null>(null);
  const [text, setText] = useState('');
  const volumes = useVolumes();
  const fips = useFloatingIps();
  const networks = useNetworks();

  const refresh = async (): Promise<void> => {
    await queryClient.invalidateQueries({ queryKey: [session?.project.id] });
  };
  const run = async (label: string, fn: () => Promise<unknown>): Promise<void> => {
    setBusy(true);
    try {
      await fn();
      notifications.show({ color: 'green', message: `${label}: ${server.name}` });
      setDialog(null);
      setChoice(null);
      await refresh();
    } catch (err) {
      notifications.show({ color: 'red', title: `${label} failed`, message: describe(err) });
    } finally {
      setBusy(false);
    }
  };
  const action = (label: string, body: unknown) => run(label, () => call('compute', `/servers/${server.id}/action`, { method: 'POST', body }));
  const attached = server['os-extended-volumes:volumes_attached'] ?? [];
  const associateFip = async (): Promise<void> => {
    const ports = (await call('network', `/v2.0/ports?device_id=${server.id}`)).ports as Array<{ id: string }>;
    const port = ports[0];
    if (port === undefined) throw new Error('The instance has no port');
    let fipId = choice;
    if (fipId === null || fipId === 'new') {
      const ext = networks.data?.find((n) => n['router:external']);
      if (ext === undefined) throw new Error('No external network to allocate from');
      fipId = ((await call('network', '/v2.0/floatingips', { method: 'POST', body: { floatingip: { floating_network_id: ext.id } } })).floatingip as { id: string }).id;
    }
    await call('network', `/v2.0/floatingips/${fipId}`, { method: 'PUT', body: { floatingip: { port_id: port.id } } });
  };

  return (
    <>
      <Group gap="xs" wrap="nowrap">
        {!compact && server.status === 'SHUTOFF' && <Button size="xs" onClick={() => void action('Start', { 'os-start': null })}>Start</Button>}
        <Menu position="bottom-end" withinPortal>
          <Menu.Target>
            <Button size="xs" variant="default" data-testid="instance-actions" loading={busy}>Actions</Button>
          </Menu.Target>
          <Menu.Dropdown>
            <Menu.Item disabled={server.status !== 'SHUTOFF'} onClick={() => void action('Start', { 'os-start': null })}>Start</Menu.Item>
            <Menu.Item disabled={server.status !== 'ACTIVE'} onClick={() => void action('Stop', { 'os-stop': null })}>Stop</Menu.Item>
            <Menu.Item disabled={server.status !== 'ACTIVE'} onClick={() => void action('Reboot', { reboot: { type: 'SOFT' } })}>Reboot</Menu.Item>
            <Menu.Divider />
            <Menu.Item data-testid="action-attach" onClick={() => setDialog('attach')}>Attach volume</Menu.Item>
            <Menu.Item disabled={attached.length === 0} onClick={() => setDialog('detach')}>Detach volume</Menu.Item>
            <Menu.Item data-testid="action-fip" onClick={() => setDialog('fip')}>Associate floating IP</Menu.Item>
            <Menu.Item onClick={() => { setText(`${server.name}-snapshot`); setDialog('snapshot'); }}>Create snapshot</Menu.Item>
            <Menu.Divider />
            <Menu.Item color="red" data-testid="action-delete" onClick={() => setDialog('delete')}>Delete</Menu.Item>
          </Menu.Dropdown>
        </Menu>
      </Group>

      <Modal opened={dialog === 'delete'} onClose={() => setDialog(null)} title="Delete instance">
        <Text>Delete <b>{server.name}</b>? This cannot be undone.</Text>
        <Group justify="flex-end" mt="md">
          <Button variant="default" onClick={() => setDialog(null)}>Cancel</Button>
          <Button color="red" loading={busy} data-testid="confirm-delete" onClick={() => void run('Delete', async () => { await call('compute', `/servers/${server.id}`, { method: 'DELETE' }); if (!compact) navigate('/instances'); })}>Delete</Button>
        </Group>
      </Modal>

      <Modal opened={dialog === 'attach'} onClose={() => setDialog(null)} title="Attach volume">
        <Stack>
          <Select label="Volume" data-testid="attach-volume-select" data={(volumes.data ?? []).filter((v) => v.status === 'available').map((v) => ({ value: v.id, label: `${v.name || v.id} (${v.size} GB)` }))} value={choice} onChange={setChoice} />
          <Button disabled={choice === null} loading={busy} data-testid="confirm-attach" onClick={() => void run('Attach volume', () => call('compute', `/servers/${server.id}/os-volume_attachments`, { method: 'POST', body: { volumeAttachment: { volumeId: choice } } }))}>Attach</Button>
        </Stack>
      </Modal>

      <Modal opened={dialog === 'detach'} onClose={() => setDialog(null)} title="Detach volume">
        <Stack>
          <Select label="Volume" data={attached.map((a) => ({ value: a.id, label: volumes.data?.find((v) => v.id === a.id)?.name || a.id }))} value={choice} onChange={setChoice} />
          <Button disabled={choice === null} loading={busy} onClick={() => void run('Detach volume', () => call('compute', `/servers/${server.id}/os-volume_attachments/${choice}`, { method: 'DELETE' }))}>Detach</Button>
        </Stack>
      </Modal>

      <Modal opened={dialog === 'fip'} onClose={() => setDialog(null)} title="Associate floating IP">
        <Stack>
          <Select label="Floating IP" data-testid="fip-select" data={[{ value: 'new', label: 'Allocate a new one' }, ...(fips.data ?? []).filter((f) => f.port_id === null).map((f) => ({ value: f.id, label: f.floating_ip_address }))]} value={choice ?? 'new'} onChange={setChoice} />
          <Button loading={busy} data-testid="confirm-fip" onClick={() => void run('Associate floating IP', associateFip)}>Associate</Button>
        </Stack>
      </Modal>

      <Modal opened={dialog === 'snapshot'} onClose={() => setDialog(null)} title="Create snapshot">
        <Stack>
          <TextInput label="Snapshot name" value={text} onChange={(e) => setText(e.currentTarget.value)} />
          <Button disabled={text.trim() === ''} loading={busy} onClick={() => void action('Create snapshot', { createImage: { name: text.trim() } })}>Create</Button>
        </Stack>
      </Modal>
    </>
  );
}
