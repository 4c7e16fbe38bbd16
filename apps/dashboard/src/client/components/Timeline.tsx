/**
 * The flow timeline: FLOW.md's 51 steps of a server's creation, grouped by service, as a waterfall.
 * Data: the flow_step_NN_<component> events of the server's `create` action (os-instance-actions),
 * polled while the server builds.
 */
import { Fragment } from 'react';
import { Alert, Badge, Box, Group, Loader, Progress, Table, Text, Tooltip } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { FLOW_STEPS, type FlowGroup } from '@strata/flow-steps';
import { useSession } from '../api/session';
import { describe } from '../api/errors';

interface ActionEvent {
  event: string;
  start_time: string | null;
  finish_time: string | null;
  result: string | null;
  traceback?: string | null;
}

/** One step as shown: the first event recorded for it (a step may be recorded once per call). */
export interface StepView {
  step: number;
  component: string;
  start: number;
  end: number;
  ok: boolean;
  detail: string | null;
}

const GROUP_LABEL: Record<FlowGroup, string> = { identity: 'Identity', compute: 'Compute API', scheduling: 'Scheduling', conductor: 'Conductor', image: 'Image', network: 'Network', storage: 'Storage', hypervisor: 'Hypervisor' };
const GROUP_COLOR: Record<FlowGroup, string> = { identity: 'grape', compute: 'blue', scheduling: 'cyan', conductor: 'teal', image: 'lime', network: 'orange', storage: 'yellow', hypervisor: 'indigo' };
const GROUPS = [...new Set(FLOW_STEPS.map((s) => s.group))];

function ms(iso: string | null): number {
  if (iso === null) return NaN;
  return Date.parse(iso.endsWith('Z') || /[+-]\d\d:\d\d$/.test(iso) ? iso : `${iso}Z`);
}

export function stepsOf(events: readonly ActionEvent[]): Map<number, StepView> {
  const out = new Map<number, StepView>();
  for (const e of events) {
    const m = /^flow_step_(\d+)_(.*)$/.exec(e.event);
    if (m === null) continue;
    const step = Number(m[1]);
    const start = ms(e.start_time);
    const end = Number.isNaN(ms(e.finish_time)) ? start : ms(e.finish_time);
    const ok = e.result !== 'Error';
    const prev = out.get(step);
    // keep the first record, but a failure anywhere in the step wins
    if (prev === undefined || (!ok && prev.ok)) out.set(step, { step, component: m[2] ?? '', start, end, ok, detail: e.traceback ?? null });
  }
  return out;
}

function fmt(msValue: number): string {
  return msValue < 1000 ? `${msValue.toFixed(msValue < 10 ? 1 : 0)} ms` : `${(msValue / 1000).toFixed(2)} s`;
}

/** Poll while the server builds, and a little after: nova-compute records the steps in batches. */
function stillFilling(building: boolean, createdAt: string, events: readonly ActionEvent[] | undefined): boolean {
  if (building || events === undefined) return true;
  const steps = stepsOf(events);
  const failed = [...steps.values()].some((x) => !x.ok);
  return !failed && steps.size < FLOW_STEPS.length && Date.now() - Date.parse(createdAt) < 120_000;
}

export function Timeline({ serverId, building, createdAt }: { serverId: string; building: boolean; createdAt: string }) {
  const { session, call } = useSession();
  const q = useQuery({
    queryKey: [session?.project.id, 'timeline', serverId],
    queryFn: async () => {
      const actions = (await call('compute', `/servers/${serverId}/os-instance-actions`)).instanceActions as Array<{ action: string; request_id: string; message: string | null }>;
      const create = actions.find((a) => a.action === 'create');
      if (create === undefined) return { events: [] as ActionEvent[], message: null };
      const detail = (await call('compute', `/servers/${serverId}/os-instance-actions/${create.request_id}`)).instanceAction as { events?: ActionEvent[]; message: string | null };
      return { events: detail.events ?? [], message: detail.message };
    },
    refetchInterval: (query) => (stillFilling(building, createdAt, query.state.data?.events) ? 1000 : false),
  });
  if (q.isPending) return <Loader size="sm" />;
  if (q.isError) return <Alert color="red">{describe(q.error)}</Alert>;
  const steps = stepsOf(q.data.events);
  const all = [...steps.values()];
  const t0 = Math.min(...all.map((s) => s.start));
  const t1 = Math.max(...all.map((s) => s.end));
  const span = Math.max(1, t1 - t0);
  const failed = all.filter((s) => !s.ok).sort((a, b) => a.step - b.step)[0];
  const otherErrors = q.data.events.filter((e) => !e.event.startsWith('flow_step_') && e.result === 'Error');
  return (
    <Box data-testid="timeline" data-steps={steps.size}>
      <Group mb="xs">
        <Text fw={600} data-testid="timeline-count">{steps.size} / {FLOW_STEPS.length} steps</Text>
        {all.length > 0 && <Text c="dimmed" size="sm">total {fmt(span)}</Text>}
        {stillFilling(building, createdAt, q.data.events) && <Loader size="xs" />}
      </Group>
      <Progress value={(steps.size / FLOW_STEPS.length) * 100} color={failed !== undefined ? 'red' : 'blue'} mb="sm" animated={building} />
      {failed !== undefined && (
        <Alert color="red" title={`Step ${failed.step} failed: ${FLOW_STEPS[failed.step - 1]?.title ?? ''}`} mb="sm" data-testid="timeline-error">
          {failed.detail ?? 'no detail recorded'}
        </Alert>
      )}
      {failed === undefined && otherErrors.length > 0 && (
        <Alert color="red" title={`${otherErrors[0]!.event} failed`} mb="sm" data-testid="timeline-error">{otherErrors[0]!.traceback ?? 'no detail recorded'}</Alert>
      )}
      <Table withRowBorders={false} verticalSpacing={2} fz="xs">
        <Table.Tbody>
          {GROUPS.map((g) => {
            const groupSteps = FLOW_STEPS.filter((s) => s.group === g);
            const seen = groupSteps.map((s) => steps.get(s.step)).filter((s): s is StepView => s !== undefined);
            const gStart = Math.min(...seen.map((s) => s.start));
            const gEnd = Math.max(...seen.map((s) => s.end));
            return (
              <Fragment key={g}>
                <Table.Tr bg="gray.1">
                  <Table.Td colSpan={2}><Text fw={700} size="sm">{GROUP_LABEL[g]}</Text></Table.Td>
                  <Table.Td><Text size="xs" c="dimmed">{seen.length}/{groupSteps.length}</Text></Table.Td>
                  <Table.Td><Text size="xs">{seen.length > 0 ? fmt(gEnd - gStart) : ''}</Text></Table.Td>
                  <Table.Td w="45%" />
                </Table.Tr>
                {groupSteps.map((fs) => {
                  const s = steps.get(fs.step);
                  return (
                    <Table.Tr key={fs.step} data-testid="timeline-step" data-step={fs.step} data-state={s === undefined ? 'pending' : s.ok ? 'ok' : 'error'} bg={s !== undefined && !s.ok ? 'red.1' : undefined}>
                      <Table.Td w={30}>{fs.step}</Table.Td>
                      <Table.Td><Text size="xs" c={s === undefined ? 'dimmed' : undefined}>{fs.title}</Text></Table.Td>
                      <Table.Td><Text size="xs" c="dimmed">{s?.component}</Text></Table.Td>
                      <Table.Td w={70}>{s !== undefined ? fmt(s.end - s.start) : ''}</Table.Td>
                      <Table.Td>
                        {s !== undefined && (
                          <Tooltip label={`${new Date(s.start).toISOString()} +${fmt(s.end - s.start)}${s.detail ? ` — ${s.detail}` : ''}`} multiline maw={400}>
                            <Box pos="relative" h={10}>
                              <Box pos="absolute" h={10} style={{ left: `${((s.start - t0) / span) * 100}%`, width: `max(3px, ${((s.end - s.start) / span) * 100}%)`, borderRadius: 2 }} bg={s.ok ? `${GROUP_COLOR[g]}.6` : 'red.7'} />
                            </Box>
                          </Tooltip>
                        )}
                        {s === undefined && <Badge size="xs" variant="outline" color="gray">{building ? 'waiting' : 'not recorded'}</Badge>}
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
              </Fragment>
            );
          })}
        </Table.Tbody>
      </Table>
    </Box>
  );
}
