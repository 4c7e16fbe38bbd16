/** Key pairs: create (the private key is shown once), import a public key, delete. */
import { useState } from 'react';
import { Alert, Button, Code, Group, Modal, Stack, Table, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useSession } from '../api/session';
import { useKeypairs } from '../api/resources';
import { describe } from '../api/errors';
import { ConfirmDelete, useRunner } from '../components/Crud';

const NAME_RE = /^[A-Za-z0-9 _.@-]{1,255}$/;

export default function KeyPairsPage() {
  const { call } = useSession();
  const keypairs = useKeypairs();
  const { busy, run } = useRunner();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [publicKey, setPublicKey] = useState('');
  const [privateKey, setPrivateKey] = useState<string | null>(null);
  const nameError = name !== '' && !NAME_RE.test(name) ? 'Letters, digits, spaces and _ . @ - only' : null;
  const create = async (): Promise<void> => {
    let pk: string | undefined;
    const ok = await run(`Key pair ${name} created`, async () => {
      const r = await call('compute', '/os-keypairs', { method: 'POST', body: { keypair: { name, ...(publicKey.trim() !== '' ? { public_key: publicKey.trim() } : {}) } } });
      pk = r.keypair.private_key as string | undefined;
    });
    if (ok) {
      setOpen(false);
      setName('');
      setPublicKey('');
      if (pk !== undefined) setPrivateKey(pk);
    }
  };
  return (
    <>
      <Group justify="space-between" mb="md">
        <Title order={2}>Key pairs</Title>
        <Button onClick={() => setOpen(true)}>Create or import key pair</Button>
      </Group>
      <Modal opened={open} onClose={() => setOpen(false)} title="Key pair">
        <Stack>
          <TextInput label="Name" withAsterisk value={name} error={nameError} onChange={(e) => setName(e.currentTarget.value)} />
          <Textarea label="Public key (leave empty to generate a new pair)" autosize minRows={3} value={publicKey} onChange={(e) => setPublicKey(e.currentTarget.value)} styles={{ input: { fontFamily: 'monospace' } }} />
          <Button disabled={name === '' || nameError !== null} loading={busy} onClick={() => void create()}>{publicKey.trim() === '' ? 'Create' : 'Import'}</Button>
        </Stack>
      </Modal>
      <Modal opened={privateKey !== null} onClose={() => setPrivateKey(null)} title="Your private key" size="lg">
        <Alert color="yellow" mb="sm">Save it now: it is not stored and cannot be shown again.</Alert>
        <Code block>{privateKey}</Code>
      </Modal>
      {keypairs.isError && <Alert color="red">{describe(keypairs.error)}</Alert>}
      <Table striped>
        <Table.Thead><Table.Tr><Table.Th>Name</Table.Th><Table.Th>Type</Table.Th><Table.Th>Fingerprint</Table.Th><Table.Th /></Table.Tr></Table.Thead>
        <Table.Tbody>
          {(keypairs.data ?? []).map((k) => (
            <Table.Tr key={k.name}>
              <Table.Td>{k.name}</Table.Td>
              <Table.Td>{k.type ?? 'ssh'}</Table.Td>
              <Table.Td><Text size="xs" ff="monospace">{k.fingerprint}</Text></Table.Td>
              <Table.Td><ConfirmDelete what={`key pair ${k.name}`} onConfirm={() => run(`Deleted ${k.name}`, () => call('compute', `/os-keypairs/${encodeURIComponent(k.name)}`, { method: 'DELETE' }))} /></Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </>
  );
}
