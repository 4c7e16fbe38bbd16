import { useState } from 'react';
import { useNavigate } from 'react-router';
import { Alert, Button, Group, Modal, MultiSelect, NumberInput, SegmentedControl, Select, Stepper, Text, Textarea, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useSession } from '../api/session';
import { mib, useFlavors, useImages, useKeypairs, useNetworks, useSecurityGroups, useVolumes } from '../api/resources';
import { describe } from '../api/errors';

interface Values {
  name: string;
  count: number;
  source: 'image' | 'volume';
  imageId: string | null;
  volumeId: string | null;
  flavorId: string | null;
  networks: string[];
  keyName: string | null;
  securityGroups: string[];
  userData: string;
  /** Size in GB of a new empty volume to attach at boot; 0 for none. */
  newVolumeGb: number;
}

/** The fields each step checks before moving on. */
const STEP_FIELDS: Array<Array<keyof Values>> = [['name', 'count'], ['source', 'imageId', 'volumeId', 'newVolumeGb'], ['flavorId'], ['networks', 'userData']];

/** A random UUID; crypto.randomUUID needs a secure context, getRandomValues does not. */
function uuid4(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function base64(text: string): string {
  let bin = '';
  for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** The launch wizard: details, source, flavor, network and access; each step validated before the next. */
export function LaunchWizard({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const { session, call, flowToken } = useSession();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [step, setStep] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const images = useImages();
  const volumes = useVolumes();
  const flavors = useFlavors();
  const networks = useNetworks();
  const keypairs = useKeypairs();
  const groups = useSecurityGroups();
  const limits = useQuery({ queryKey: [session?.project.id, 'limits'], queryFn: async () => (await call('compute', '/limits')).limits.absolute as Record<string, number>, enabled: opened });

  const form = useForm<Values>({
    initialValues: { name: '', count: 1, source: 'image', imageId: null, volumeId: null, flavorId: null, networks: [], keyName: null, securityGroups: ['default'], userData: '', newVolumeGb: 0 },
    validate: {
      name: (v) => (v.trim() === '' ? 'Name is required' : v.length > 255 ? 'At most 255 characters' : null),
      count: (v) => (!Number.isInteger(v) || v < 1 ? 'At least 1' : v > 100 ? 'At most 100 at once' : null),
      imageId: (v, all) => (all.source === 'image' && v === null ? 'Choose an image' : null),
      volumeId: (v, all) => (all.source === 'volume' && v === null ? 'Choose a volume' : null),
      flavorId: (v, all) => {
        if (v === null) return 'Choose a flavor';
        const f = flavors.data?.find((x) => x.id === v);
        const img = images.data?.find((x) => x.id === all.imageId);
        if (f !== undefined && img !== undefined && all.source === 'image') {
          if (img.min_disk > f.disk && f.disk > 0) return `The image needs a disk of at least ${img.min_disk} GB`;
          if (img.min_ram > f.ram) return `The image needs at least ${mib(img.min_ram)} of RAM`;
        }
        return null;
      },
      networks: (v) => ((networks.data ?? []).length > 0 && v.length === 0 ? 'Choose at least one network' : null),
      newVolumeGb: (v) => (!Number.isInteger(v) || v < 0 ? 'A whole number of GB, 0 for none' : v > 10_000 ? 'At most 10000 GB' : null),
      userData: (v) => (v.length > 65535 ? 'User data is limited to 64 KB' : null),
    },
  });

  const close = (): void => {
    setStep(0);
    setError(null);
    form.reset();
    onClose();
  };
  const next = (): void => {
    const bad = (STEP_FIELDS[step] ?? []).map((f) => form.validateField(f).hasError).some(Boolean);
    if (!bad) setStep(step + 1);
  };
  const submit = async (v: Values): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const server: Record<string, unknown> = {
        name: v.name.trim(),
        flavorRef: v.flavorId,
        min_count: v.count,
        max_count: v.count,
        networks: v.networks.length > 0 ? v.networks.map((uuid) => ({ uuid })) : 'none',
        ...(v.keyName !== null ? { key_name: v.keyName } : {}),
        ...(v.securityGroups.length > 0 ? { security_groups: v.securityGroups.map((name) => ({ name })) } : {}),
        ...(v.userData !== '' ? { user_data: base64(v.userData) } : {}),
      };
      const bdms: unknown[] = [];
      if (v.source === 'image') server.imageRef = v.imageId;
      else bdms.push({ boot_index: 0, uuid: v.volumeId, source_type: 'volume', destination_type: 'volume', delete_on_termination: false });
      if (v.newVolumeGb > 0) bdms.push({ source_type: 'blank', destination_type: 'volume', volume_size: v.newVolumeGb, delete_on_termination: true });
      if (bdms.length > 0) server.block_device_mapping_v2 = bdms;
      // One global request id from the login step on, so the timeline has all of FLOW.md.
      const requestId = `req-${uuid4()}`;
      const token = await flowToken(requestId);
      const res = await call<{ server?: { id: string } }>('compute', '/servers', { method: 'POST', body: { server }, token, requestId });
      await queryClient.invalidateQueries({ queryKey: [session?.project.id, 'servers'] });
      const id = res?.server?.id;
      close();
      if (v.count === 1 && id !== undefined) navigate(`/instances/${id}`);
    } catch (err) {
      setError(describe(err));
    } finally {
      setBusy(false);
    }
  };

  const flavor = flavors.data?.find((f) => f.id === form.values.flavorId);
  const lim = limits.data;
  const quotaWarning =
    lim !== undefined && flavor !== undefined && lim.maxTotalInstances !== undefined && lim.maxTotalInstances >= 0
      ? [
          lim.totalInstancesUsed! + form.values.count > lim.maxTotalInstances ? `instances (${lim.totalInstancesUsed}/${lim.maxTotalInstances} used)` : null,
          lim.maxTotalCores! >= 0 && lim.totalCoresUsed! + form.values.count * flavor.vcpus > lim.maxTotalCores! ? `vCPUs (${lim.totalCoresUsed}/${lim.maxTotalCores} used)` : null,
          lim.maxTotalRAMSize! >= 0 && lim.totalRAMUsed! + form.values.count * flavor.ram > lim.maxTotalRAMSize! ? `RAM (${mib(lim.totalRAMUsed!)}/${mib(lim.maxTotalRAMSize!)} used)` : null,
        ].filter((x) => x !== null)
      : [];

  return (
    <Modal opened={opened} onClose={close} title="Launch instance" size="xl" data-testid="launch-wizard">
      <form onSubmit={form.onSubmit(submit, () => setError('Some fields are not valid: see the steps above.'))}>
        <Stepper active={step} onStepClick={(s) => s < step && setStep(s)} size="sm">
          <Stepper.Step label="Details">
            <TextInput label="Instance name" name="name" withAsterisk {...form.getInputProps('name')} data-autofocus />
            <NumberInput label="Count" name="count" min={1} max={100} mt="sm" {...form.getInputProps('count')} />
          </Stepper.Step>
          <Stepper.Step label="Source">
            <SegmentedControl data={[{ value: 'image', label: 'Image' }, { value: 'volume', label: 'Volume' }]} {...form.getInputProps('source')} mb="sm" />
            {form.values.source === 'image' ? (
              <Select label="Image" name="image" searchable withAsterisk data={(images.data ?? []).filter((i) => i.status === 'active').map((i) => ({ value: i.id, label: i.name || i.id }))} {...form.getInputProps('imageId')} />
            ) : (
              <Select label="Bootable volume" name="volume" searchable withAsterisk data={(volumes.data ?? []).filter((x) => x.status === 'available').map((x) => ({ value: x.id, label: `${x.name || x.id} (${x.size} GB)` }))} {...form.getInputProps('volumeId')} />
            )}
            <NumberInput label="New empty volume (GB, 0 for none)" name="new-volume" min={0} max={10000} mt="sm" {...form.getInputProps('newVolumeGb')} />
          </Stepper.Step>
          <Stepper.Step label="Flavor">
            <Select label="Flavor" name="flavor" searchable withAsterisk data={(flavors.data ?? []).map((f) => ({ value: f.id, label: `${f.name} — ${f.vcpus} vCPU, ${mib(f.ram)} RAM, ${f.disk} GB disk` }))} {...form.getInputProps('flavorId')} />
            {flavor !== undefined && <Text size="sm" mt="xs" c="dimmed">{form.values.count} × {flavor.vcpus} vCPU, {mib(flavor.ram)} RAM, {flavor.disk} GB disk</Text>}
          </Stepper.Step>
          <Stepper.Step label="Network & access">
            <MultiSelect label="Networks" name="networks" data={(networks.data ?? []).map((n) => ({ value: n.id, label: `${n.name}${n['router:external'] ? ' (external)' : ''}` }))} {...form.getInputProps('networks')} />
            <Select label="Key pair" name="keypair" clearable mt="sm" data={(keypairs.data ?? []).map((k) => k.name)} {...form.getInputProps('keyName')} />
            <MultiSelect label="Security groups" name="security-groups" mt="sm" data={[...new Set((groups.data ?? []).map((g) => g.name))]} {...form.getInputProps('securityGroups')} />
            <Textarea label="User data (cloud-init)" name="user-data" mt="sm" autosize minRows={3} maxRows={10} styles={{ input: { fontFamily: "monospace" } }} {...form.getInputProps('userData')} />
          </Stepper.Step>
        </Stepper>
        {quotaWarning.length > 0 && step === 3 && <Alert color="yellow" mt="md" title="Over quota">This launch exceeds the project's quota for {quotaWarning.join(', ')}.</Alert>}
        {error !== null && <Alert color="red" mt="md" title="Launch failed" data-testid="launch-error">{error}</Alert>}
        <Group justify="space-between" mt="lg">
          <Button variant="default" onClick={() => (step === 0 ? close() : setStep(step - 1))}>{step === 0 ? 'Cancel' : 'Back'}</Button>
          {step < 3 ? <Button onClick={next} data-testid="wizard-next">Next</Button> : <Button type="submit" loading={busy} data-testid="wizard-launch">Launch</Button>}
        </Group>
      </form>
    </Modal>
  );
}
