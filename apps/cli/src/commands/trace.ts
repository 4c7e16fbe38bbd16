/**
 * `strata trace <server>`: the FLOW.md steps of a server's create request, one line per step,
 * read over the public compute API (the events of its create action, `/servers/{id}/strata-trace`).
 * `--follow` shows them live while the server builds.
 */
import { FLOW_STEPS } from '@strata/trace';
import type { OsSession } from './os-session.js';

/** One step as the compute API returns it. */
export interface TraceStep {
  readonly step: number;
  readonly title: string;
  readonly component: string;
  readonly kind?: string;
  readonly started_at: string | null;
  readonly finished_at: string | null;
  readonly result: string | null;
  readonly detail: string | null;
}

/**
 * Who performs each FLOW.md step and over what (FLOW.md's own description of the hop), shown
 * for steps the trace has not recorded and as the kind when the API does not return one.
 */
const ACTORS: ReadonlyArray<readonly [string, 'http' | 'rpc' | 'db']> = [
  ['client', 'http'], ['keystone', 'db'],
  ['nova-api', 'http'], ['nova-api', 'http'], ['keystone', 'http'], ['nova-api', 'db'], ['nova-api', 'db'], ['nova-api', 'rpc'],
  ['nova-scheduler', 'rpc'], ['nova-scheduler', 'db'], ['nova-scheduler', 'db'], ['nova-scheduler', 'rpc'], ['nova-compute', 'rpc'],
  ['nova-compute', 'rpc'], ['nova-conductor', 'rpc'], ['nova-conductor', 'db'], ['nova-conductor', 'db'], ['nova-conductor', 'rpc'], ['nova-compute', 'rpc'],
  ['nova-compute', 'http'], ['glance-api', 'http'], ['keystone', 'http'], ['glance-api', 'db'], ['glance-api', 'db'], ['glance-api', 'db'], ['glance-api', 'http'], ['nova-compute', 'http'],
  ['nova-compute', 'http'], ['neutron-server', 'http'], ['neutron-server', 'rpc'], ['neutron-plugin', 'rpc'], ['neutron-plugin', 'db'], ['neutron-plugin', 'rpc'],
  ['neutron-agent', 'rpc'], ['neutron-agent', 'db'], ['neutron-agent', 'rpc'], ['neutron-server', 'rpc'], ['neutron-server', 'http'],
  ['nova-compute', 'http'], ['cinder-api', 'http'], ['cinder-api', 'rpc'], ['cinder-scheduler', 'rpc'], ['cinder-scheduler', 'db'], ['cinder-scheduler', 'rpc'],
  ['cinder-volume', 'rpc'], ['cinder-volume', 'rpc'], ['cinder-volume', 'db'], ['cinder-volume', 'rpc'], ['cinder-api', 'rpc'], ['cinder-api', 'http'],
  ['nova-compute', 'rpc'],
];

/** The expected actor and kind of a step (1–51). */
export function actorOf(step: number): { component: string; kind: string } {
  const a = ACTORS[step - 1];
  return { component: a?.[0] ?? '?', kind: FLOW_STEPS[step - 1]?.kind ?? a?.[1] ?? '?' };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Raised for a server that cannot be found (or is ambiguous). */
export class TraceError extends Error {}

async function getJson<T>(session: OsSession, url: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { headers: { 'x-auth-token': session.token, accept: 'application/json', 'openstack-api-version': 'compute 2.1' }, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  return { status: res.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
}

function computeBase(session: OsSession): string {
  const c = session.endpoint('compute');
  if (c === undefined) throw new TraceError('no compute endpoint in the catalog');
  return c;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The id of the server named (or with id) `ref` in the session's project; errors as the openstack CLI words them. */
export async function resolveServer(session: OsSession, ref: string): Promise<{ id: string; name: string }> {
  const base = computeBase(session);
  if (UUID.test(ref)) {
    const r = await getJson<{ server: { id: string; name: string } }>(session, `${base}/servers/${ref}`);
    if (r.status === 200) return { id: r.body.server.id, name: r.body.server.name };
  }
  const r = await getJson<{ servers: Array<{ id: string; name: string }> }>(session, `${base}/servers?name=${encodeURIComponent(`^${escapeRegex(ref)}$`)}`);
  if (r.status !== 200) throw new TraceError(`listing servers failed (HTTP ${r.status})`);
  const matches = r.body.servers.filter((s) => s.name === ref);
  if (matches.length === 0) throw new TraceError(`No server with a name or ID of '${ref}' exists.`);
  if (matches.length > 1) throw new TraceError(`More than one server exists with the name '${ref}'.`);
  return matches[0] as { id: string; name: string };
}

/** The recorded steps of the server's create (empty while nothing is recorded yet), and its status. */
export async function fetchTrace(session: OsSession, serverId: string): Promise<{ steps: TraceStep[]; status: string | undefined }> {
  const base = computeBase(session);
  const [t, s] = await Promise.all([
    getJson<{ trace: { steps: TraceStep[] } }>(session, `${base}/servers/${serverId}/strata-trace`),
    getJson<{ server: { status: string } }>(session, `${base}/servers/${serverId}`),
  ]);
  if (t.status === 404) return { steps: [], status: s.body?.server?.status };
  if (t.status !== 200) throw new TraceError(`reading the trace failed (HTTP ${t.status})`);
  return { steps: t.body.trace.steps, status: s.body?.server?.status };
}

function ms(n: number): string {
  return n >= 1000 ? `${(n / 1000).toFixed(2)}s` : `${n < 10 ? n.toFixed(1) : Math.round(n)}ms`;
}

/** The first recording of each step, by number. */
export function byStep(steps: readonly TraceStep[]): Map<number, TraceStep> {
  const out = new Map<number, TraceStep>();
  for (const s of steps) {
    const prev = out.get(s.step);
    // A failed attempt and its retry: show the failure only when no attempt succeeded.
    if (prev === undefined || (prev.result !== 'Success' && s.result === 'Success')) out.set(s.step, s);
  }
  return out;
}

/** The start of the trace (earliest recorded start), epoch ms. */
export function traceOrigin(steps: readonly TraceStep[]): number {
  const starts = steps.map((s) => Date.parse(s.started_at ?? '')).filter((n) => Number.isFinite(n));
  return starts.length === 0 ? Date.now() : Math.min(...starts);
}

/** One line for step `n`: number, component, kind, start offset, duration, title, and the error if it failed. */
export function formatStep(n: number, s: TraceStep | undefined, origin: number): string {
  const actor = actorOf(n);
  const title = FLOW_STEPS[n - 1]?.title ?? '';
  const num = String(n).padStart(2);
  if (s === undefined) return `${num}  ${actor.component.padEnd(16)} ${actor.kind.padEnd(4)} ${'-'.padStart(9)} ${'-'.padStart(8)}  ${title}  (not recorded)`;
  const start = Date.parse(s.started_at ?? '');
  const end = Date.parse(s.finished_at ?? '');
  const offset = Number.isFinite(start) ? `+${ms(start - origin)}` : '-';
  const dur = Number.isFinite(start) && Number.isFinite(end) ? ms(Math.max(0, end - start)) : '-';
  const failed = s.result !== null && s.result !== 'Success';
  const kind = s.kind ?? actor.kind;
  return `${num}  ${s.component.padEnd(16)} ${kind.padEnd(4)} ${offset.padStart(9)} ${dur.padStart(8)}  ${title}${failed ? `  FAILED: ${s.detail ?? s.result}` : ''}`;
}

function anyFailed(steps: readonly TraceStep[]): boolean {
  return [...byStep(steps).values()].some((s) => s.result !== null && s.result !== 'Success');
}

/** The header line of the table. */
export const TRACE_HEADER = ` #  ${'component'.padEnd(16)} kind ${'start'.padStart(9)} ${'duration'.padStart(8)}  step`;

/** The whole table: header, 51 lines, and a summary. */
export function formatTrace(steps: readonly TraceStep[]): string[] {
  const map = byStep(steps);
  const origin = traceOrigin(steps);
  const lines = [TRACE_HEADER];
  for (const f of FLOW_STEPS) lines.push(formatStep(f.step, map.get(f.step), origin));
  const failed = [...map.values()].filter((s) => s.result !== null && s.result !== 'Success');
  const ends = steps.map((s) => Date.parse(s.finished_at ?? '')).filter((n) => Number.isFinite(n));
  const total = ends.length === 0 ? 0 : Math.max(...ends) - origin;
  lines.push(`${map.size} of ${FLOW_STEPS.length} steps recorded in ${ms(total)}${failed.length > 0 ? `; failed at step ${failed.map((s) => s.step).join(', ')}` : ''}`);
  return lines;
}

/** What `strata trace` writes to and reads from. */
export interface TraceIo {
  readonly out: NodeJS.WriteStream | { write(s: string): boolean; isTTY?: boolean; columns?: number };
  readonly sleep: (ms: number) => Promise<void>;
}

const FINAL = new Set(['ACTIVE', 'ERROR', 'SHUTOFF', 'DELETED']);

/** Print the trace; with `follow`, poll until the build finished and the trace stopped growing. Resolves to the exit code. */
export async function runTrace(session: OsSession, ref: string, opts: { follow: boolean; intervalMs?: number; timeoutMs?: number }, io: TraceIo): Promise<number> {
  const server = await resolveServer(session, ref);
  if (!opts.follow) {
    const { steps } = await fetchTrace(session, server.id);
    if (steps.length === 0) throw new TraceError(`No trace recorded for server ${server.name} (${server.id}) yet: steps are stored when its build ends (use --follow to wait).`);
    for (const l of formatTrace(steps)) io.out.write(`${l}\n`);
    return anyFailed(steps) ? 1 : 0;
  }
  const tty = io.out.isTTY === true;
  const interval = opts.intervalMs ?? 250;
  const deadline = Date.now() + (opts.timeoutMs ?? 600_000);
  const printed = new Set<number>();
  let steps: TraceStep[] = [];
  let status: string | undefined;
  let lastSize = -1;
  let stable = 0;
  if (!tty) io.out.write(`${TRACE_HEADER}\n`);
  for (;;) {
    ({ steps, status } = await fetchTrace(session, server.id));
    const map = byStep(steps);
    const origin = traceOrigin(steps);
    if (tty) {
      const width = 30;
      const filled = Math.round((map.size / FLOW_STEPS.length) * width);
      const last = [...map.keys()].sort((a, b) => b - a)[0];
      const lastLine = last === undefined ? 'waiting for the first step' : `${last} ${map.get(last)?.component ?? ''}: ${FLOW_STEPS[last - 1]?.title ?? ''}`;
      const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(map.size).padStart(2)}/${FLOW_STEPS.length} ${status ?? ''} ${lastLine}`;
      const cols = (io.out as { columns?: number }).columns ?? 120;
      io.out.write(`\r\x1b[K${line.slice(0, cols - 1)}`);
    } else {
      for (const n of [...map.keys()].sort((a, b) => a - b)) {
        if (printed.has(n)) continue;
        printed.add(n);
        io.out.write(`${formatStep(n, map.get(n), origin)}\n`);
      }
    }
    stable = map.size === lastSize ? stable + 1 : 0;
    lastSize = map.size;
    const done = status !== undefined && FINAL.has(status) && (map.size === FLOW_STEPS.length || (map.size > 0 && stable >= 4));
    if (done || Date.now() > deadline) break;
    await io.sleep(interval);
  }
  const map = byStep(steps);
  if (tty) {
    io.out.write('\r\x1b[K');
    for (const l of formatTrace(steps)) io.out.write(`${l}\n`);
  } else {
    const origin = traceOrigin(steps);
    for (const f of FLOW_STEPS) if (!printed.has(f.step)) io.out.write(`${formatStep(f.step, map.get(f.step), origin)}\n`);
    io.out.write(`${formatTrace(steps).at(-1) ?? ''}\n`);
  }
  io.out.write(`server ${server.name} (${server.id}): ${status ?? 'unknown'}\n`);
  return status === 'ERROR' || anyFailed(steps) ? 1 : 0;
}
