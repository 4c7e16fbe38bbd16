/** Images: list, upload (with a progress bar), change visibility, delete. */
import { useState } from 'react';
import { Alert, Badge, Button, FileInput, Group, Modal, Progress, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useSession } from '../api/session';
import { bytes, useImages } from '../api/resources';
import { ApiError, describe, errorMessage } from '../api/errors';
import { ConfirmDelete, useRunner } from '../components/Crud';

const VISIBILITIES = ['private', 'shared', 'community', 'public'];
const DISK_FORMATS = ['qcow2', 'raw', 'vmdk', 'vdi', 'iso', 'vhd', 'vhdx', 'ami', 'ari', 'aki'];

/** PUT the file with XHR, which (unlike fetch) reports upload progress. */
function uploadFile(url: string, token: string, file: File, onProgress: (fraction: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    xhr.setRequestHeader('x-auth-token', token);
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => (xhr.status >= 200 && xhr.status < 300 ? resolve() : reject(new ApiError(xhr.status, errorMessage(xhr.status, xhr.responseText))));
    xhr.onerror = () => reject(new Error('Upload failed: network error'));
    xhr.send(file);
  });
}

function UploadDialog({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const { session, call, url } = useSession();
  const { run } = useRunner();
  const [name, setName] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [format, setFormat] = useState<string | null>('qcow2');
  const [visibility, setVisibility] = useState<string | null>('private');
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const submit = async (): Promise<void> => {
    if (file === null || session === null) return;
    setError(null);
    setProgress(0);
    const ok = await run(`Uploaded ${name || file.name}`, async () => {
      const image = (await call('image', '/v2/images', { method: 'POST', body: { name: name || file.name, disk_format: format, container_format: 'bare', visibility } })) as { id: string };
      try {
        await uploadFile(url('image', `/v2/images/${image.id}/file`), session.token, file, setProgress);
      } catch (err) {
        await call('image', `/v2/images/${image.id}`, { method: 'DELETE' }).catch(() => undefined);
        setError(describe(err));
        throw err;
      }
    });
    setProgress(null);
    if (ok) {
      setName('');
      setFile(null);
      onClose();
    }
  };
  return (
    <Modal opened={opened} onClose={onClose} title="Upload image">
      <Stack>
        <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} placeholder="the file name" />
        <FileInput label="Image file" value={file} onChange={setFile} withAsterisk data-testid="image-file" />
        <Select label="Disk format" data={DISK_FORMATS} value={format} onChange={setFormat} allowDeselect={false} />
        <Select label="Visibility" data={VISIBILITIES} value={visibility} onChange={setVisibility} allowDeselect={false} />
        {progress !== null && <Progress value={progress * 100} animated data-testid="upload-progress" />}
        {progress !== null && <Text size="xs" c="dimmed">{Math.round(progress * 100)}% of {bytes(file?.size)}</Text>}
        {error !== null && <Alert color="red">{error}</Alert>}
        <Button disabled={file === null || format === null} loading={progress !== null} onClick={() => void submit()}>Upload</Button>
      </Stack>
    </Modal>
  );
}

export default function ImagesPage() {
  const { session, call } = useSession();
  const images = useImages();
  const { run } = useRunner();
  const [uploading, setUploading] = useState(false);
  return (
    <>
      <Group justify="space-between" mb="md">
        <Title order={2}>Images</Title>
        <Button onClick={() => setUploading(true)}>Upload image</Button>
      </Group>
      <UploadDialog opened={uploading} onClose={() => setUploading(false)} />
      {images.isError && <Alert color="red">{describe(images.error)}</Alert>}
      <Table striped>
        <Table.Thead><Table.Tr><Table.Th>Name</Table.Th><Table.Th>Status</Table.Th><Table.Th>Format</Table.Th><Table.Th>Size</Table.Th><Table.Th>Visibility</Table.Th><Table.Th /></Table.Tr></Table.Thead>
        <Table.Tbody>
          {(images.data ?? []).map((i) => {
            const mine = i.owner === session?.project.id;
            return (
              <Table.Tr key={i.id} data-testid="image-row" data-name={i.name}>
                <Table.Td>{i.name || i.id}</Table.Td>
                <Table.Td><Badge color={i.status === 'active' ? 'green' : i.status === 'queued' || i.status === 'saving' ? 'blue' : 'gray'}>{i.status}</Badge></Table.Td>
                <Table.Td>{i.disk_format}</Table.Td>
                <Table.Td>{bytes(i.size)}</Table.Td>
                <Table.Td>
                  <Select size="xs" w={130} data={VISIBILITIES} value={i.visibility} disabled={!mine} allowDeselect={false}
                    onChange={(v) => v !== null && void run(`${i.name} is now ${v}`, () => call('image', `/v2/images/${i.id}`, { method: 'PATCH', body: [{ op: 'replace', path: '/visibility', value: v }], headers: { 'content-type': 'application/openstack-images-v2.1-json-patch' } }))} />
                </Table.Td>
                <Table.Td>{mine && <ConfirmDelete what={`image ${i.name}`} onConfirm={() => run(`Deleted ${i.name}`, () => call('image', `/v2/images/${i.id}`, { method: 'DELETE' }))} />}</Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </>
  );
}
