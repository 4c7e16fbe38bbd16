/** Small helpers the resource pages share: a mutation that refreshes the project's queries and reports. */
import { useState } from 'react';
import { Button, Group, Modal, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQueryClient } from '@tanstack/react-query';
import { useSession } from '../api/session';
import { describe } from '../api/errors';

/** Run fn; show success or the API's error; refresh every query of the project. Resolves true on success. */
export function useRunner() {
  const { session } = useSession();
  const queryClient = useQueryClient();
  const [busy, setBusy] = useState(false);
  const run = async (label: string, fn: () => Promise<unknown>): Promise<boolean> => {
    setBusy(true);
    try {
      await fn();
      notifications.show({ color: 'green', message: label });
      await queryClient.invalidateQueries({ queryKey: [session?.project.id] });
      return true;
    } catch (err) {
      notifications.show({ color: 'red', title: `${label} failed`, message: describe(err) });
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, run };
}

/** A delete button that asks first. */
export function ConfirmDelete({ what, onConfirm }: { what: string; onConfirm: () => Promise<unknown> }) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  return (
    <>
      <Button size="xs" color="red" variant="light" onClick={() => setOpen(true)}>Delete</Button>
      <Modal opened={open} onClose={() => setOpen(false)} title="Confirm">
        <Text>Delete {what}?</Text>
        <Group justify="flex-end" mt="md">
          <Button variant="default" onClick={() => setOpen(false)}>Cancel</Button>
          <Button color="red" loading={busy} onClick={async () => { setBusy(true); try { await onConfirm(); } finally { setBusy(false); setOpen(false); } }}>Delete</Button>
        </Group>
      </Modal>
    </>
  );
}
