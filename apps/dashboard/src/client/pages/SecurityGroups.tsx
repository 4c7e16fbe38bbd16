/** Security groups and their rules. */
import { useState } from 'react';
import { Accordion, Alert, Badge, Button, Group, Modal, NumberInput, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useSession } from '../api/session';
import { useSecurityGroups, type SecurityGroup } from '../api/resources';
import { describe } from '../api/errors';
import { ConfirmDelete, useRunner } from '../components/Crud';

const CIDR = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$|^[0-9a-fA-F:]+\/\d{1,3}$/;

function RuleDialog({ group, onClose }: { group: SecurityGroup | null; onClose: () => void }) {
  const { call } = useSession();
  const { busy, run } = useRunner();
  const [direction, setDirection] = useState<string | null>('ingress');
  const [protocol, setProtocol] = useState<string | null>('tcp');
  const [from, setFrom] = useState<number | string>(22);
  const [to, setTo] = useState<number | string>(22);
  const [cidr, setCidr] = useState('0.0.0.0/0');
  const ports = protocol === 'tcp' || protocol === 'udp';
  const portError = ports && (Number(from) < 1 || Number(to) > 65535 || Number(from) > Number(to)) ? 'Ports 1–65535, from ≤ to' : null;
  const cidrError = cidr !== '' && !CIDR.test(cidr) ? 'A CIDR such as 0.0.0.0/0' : null;
  return (
    <Modal opened={group !== null} onClose={onClose} title={`Add rule to ${group?.name ?? ''}`}>
      <Stack>
        <Select label="Direction" data={['ingress', 'egress']} value={direction} onChange={setDirection} allowDeselect={false} />
        <Select label="Protocol" data={[{ value: 'tcp', label: 'TCP' }, { value: 'udp', label: 'UDP' }, { value: 'icmp', label: 'ICMP' }, { value: 'any', label: 'Any' }]} value={protocol} onChange={setProtocol} allowDeselect={false} />
        {ports && (
          <Group grow>
            <NumberInput label="Port from" min={1} max={65535} value={from} onChange={setFrom} />
            <NumberInput label="Port to" min={1} max={65535} value={to} onChange={setTo} error={portError} />
          </Group>
        )}
        <TextInput label="Remote CIDR" value={cidr} onChange={(e) => setCidr(e.currentTarget.value)} error={cidrError} />
        <Button
          loading={busy}
          disabled={portError !== null || cidrError !== null}
          onClick={async () => {
            if (group === null) return;
            const ok = await run('Rule added', () =>
              call('network', '/v2.0/security-group-rules', {
                method: 'POST',
                body: { security_group_rule: { security_group_id: group.id, direction, ethertype: cidr.includes(':') ? 'IPv6' : 'IPv4', ...(protocol !== 'any' ? { protocol } : {}), ...(ports ? { port_range_min: Number(from), port_range_max: Number(to) } : {}), ...(cidr !== '' ? { remote_ip_prefix: cidr } : {}) } },
              }),
            );
            if (ok) onClose();
          }}
        >
          Add rule
        </Button>
      </Stack>
    </Modal>
  );
}

export default function SecurityGroupsPage() {
  const { call } = useSession();
  const groups = useSecurityGroups();
  const { busy, run } = useRunner();
  const [ruleFor, setRuleFor] = useState<SecurityGroup | null>(null);
  const [creating, setCreating] = useState(false);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  return (
    <>
      <Group justify="space-between" mb="md">
        <Title order={2}>Security groups</Title>
        <Button onClick={() => setCreating(true)}>Create security group</Button>
      </Group>
      <Modal opened={creating} onClose={() => setCreating(false)} title="Create security group">
        <Stack>
          <TextInput label="Name" withAsterisk value={name} onChange={(e) => setName(e.currentTarget.value)} />
          <TextInput label="Description" value={description} onChange={(e) => setDescription(e.currentTarget.value)} />
          <Button loading={busy} disabled={name.trim() === ''} onClick={async () => { if (await run('Security group created', () => call('network', '/v2.0/security-groups', { method: 'POST', body: { security_group: { name: name.trim(), description } } }))) { setCreating(false); setName(''); setDescription(''); } }}>Create</Button>
        </Stack>
      </Modal>
      <RuleDialog group={ruleFor} onClose={() => setRuleFor(null)} />
      {groups.isError && <Alert color="red">{describe(groups.error)}</Alert>}
      <Accordion multiple variant="separated">
        {(groups.data ?? []).map((g) => (
          <Accordion.Item key={g.id} value={g.id}>
            <Accordion.Control>
              <Group><Text fw={600}>{g.name}</Text><Text size="sm" c="dimmed">{g.description}</Text><Badge variant="light">{g.security_group_rules.length} rules</Badge></Group>
            </Accordion.Control>
            <Accordion.Panel>
              <Group mb="xs">
                <Button size="xs" onClick={() => setRuleFor(g)}>Add rule</Button>
                {g.name !== 'default' && <ConfirmDelete what={`security group ${g.name}`} onConfirm={() => run('Security group deleted', () => call('network', `/v2.0/security-groups/${g.id}`, { method: 'DELETE' }))} />}
              </Group>
              <Table>
                <Table.Thead><Table.Tr><Table.Th>Direction</Table.Th><Table.Th>Ether type</Table.Th><Table.Th>Protocol</Table.Th><Table.Th>Ports</Table.Th><Table.Th>Remote</Table.Th><Table.Th /></Table.Tr></Table.Thead>
                <Table.Tbody>
                  {g.security_group_rules.map((r) => (
                    <Table.Tr key={r.id}>
                      <Table.Td>{r.direction}</Table.Td>
                      <Table.Td>{r.ethertype}</Table.Td>
                      <Table.Td>{r.protocol ?? 'any'}</Table.Td>
                      <Table.Td>{r.port_range_min === null ? 'any' : r.port_range_min === r.port_range_max ? r.port_range_min : `${r.port_range_min}–${r.port_range_max}`}</Table.Td>
                      <Table.Td>{r.remote_ip_prefix ?? (r.remote_group_id !== null ? `group ${groups.data?.find((x) => x.id === r.remote_group_id)?.name ?? r.remote_group_id}` : 'any')}</Table.Td>
                      <Table.Td><ConfirmDelete what="this rule" onConfirm={() => run('Rule deleted', () => call('network', `/v2.0/security-group-rules/${r.id}`, { method: 'DELETE' }))} /></Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Accordion.Panel>
          </Accordion.Item>
        ))}
      </Accordion>
    </>
  );
}
