/** Floating IPs: allocate from an external network, associate to an instance's port, disassociate, release. */
import { useState } from 'react';
import { Button, Group, Select, Table, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useSession } from '../api/session';
import { useFloatingIps, useNetworks } from '../api/resources';
import { ConfirmDelete, useRunner } from '../components/Crud';

export default function FloatingIpsPage() {
  const { session, call } = useSession();
  const fips = useFloatingIps();
  const networks = useNetworks();
  const { busy, run } = useRunner();
  const [pool, setPool] = useState<string | null>(null);
  const ports = useQuery({
    queryKey: [session?.project.id, 'server-ports'],
    queryFn: async () => ((await call('network', '/v2.0/ports')).ports as Array<{ id: string; device_id: string; device_owner: string; fixed_ips: Array<{ ip_address: string }> }>).filter((p) => p.device_owner.startsWith('compute:')),
  });
  const external = (networks.data ?? []).filter((n) => n['router:external']);
  const [target, setTarget] = useState<Record<string, string | null>>({});
  return (
    <>
      <Group justify="space-between" mb="md">
        <Title order={2}>Floating IPs</Title>
        <Group>
          <Select placeholder="Pool" data={external.map((n) => ({ value: n.id, label: n.name }))} value={pool ?? external[0]?.id ?? null} onChange={setPool} w={180} />
          <Button loading={busy} disabled={external.length === 0} onClick={() => void run('Allocated a floating IP', () => call('network', '/v2.0/floatingips', { method: 'POST', body: { floatingip: { floating_network_id: pool ?? external[0]!.id } } }))}>Allocate IP</Button>
        </Group>
      </Group>
      <Table striped>
        <Table.Thead><Table.Tr><Table.Th>IP address</Table.Th><Table.Th>Mapped fixed IP</Table.Th><Table.Th>Status</Table.Th><Table.Th /></Table.Tr></Table.Thead>
        <Table.Tbody>
          {(fips.data ?? []).map((f) => (
            <Table.Tr key={f.id} data-testid="fip-row">
              <Table.Td>{f.floating_ip_address}</Table.Td>
              <Table.Td>{f.fixed_ip_address ?? '—'}</Table.Td>
              <Table.Td>{f.status}</Table.Td>
              <Table.Td>
                <Group gap="xs" justify="flex-end">
                  {f.port_id !== null ? (
                    <Button size="xs" variant="default" onClick={() => void run('Disassociated', () => call('network', `/v2.0/floatingips/${f.id}`, { method: 'PUT', body: { floatingip: { port_id: null } } }))}>Disassociate</Button>
                  ) : (
                    <>
                      <Select size="xs" placeholder="Port" w={200} data={(ports.data ?? []).map((p) => ({ value: p.id, label: `${p.fixed_ips[0]?.ip_address ?? p.id} (${p.device_id.slice(0, 8)})` }))} value={target[f.id] ?? null} onChange={(v) => setTarget({ ...target, [f.id]: v })} />
                      <Button size="xs" variant="default" disabled={!target[f.id]} onClick={() => void run('Associated', () => call('network', `/v2.0/floatingips/${f.id}`, { method: 'PUT', body: { floatingip: { port_id: target[f.id] } } }))}>Associate</Button>
                    </>
                  )}
                  <ConfirmDelete what={`floating IP ${f.floating_ip_address}`} onConfirm={() => run('Released', () => call('network', `/v2.0/floatingips/${f.id}`, { method: 'DELETE' }))} />
                </Group>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </>
  );
}
