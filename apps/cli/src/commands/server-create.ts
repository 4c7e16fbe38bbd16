/**
 * `strata server create <name> ... --watch`: a thin client over the public APIs that creates a
 * server (image, flavor, networks, an optional blank volume) and, with --watch, follows its build
 * step by step as `strata trace --follow` does.
 */
import { readFileSync } from 'node:fs';
import type { OsSession } from './os-session.js';
import { runTrace, TraceError, type TraceIo } from './trace.js';

/** What to create. */
export interface ServerCreateOptions {
  readonly name: string;
  readonly image: string;
  readonly flavor: string;
  readonly networks: readonly string[];
  readonly volumeSize?: number;
  readonly keyName?: string;
  readonly userDataFile?: string;
  readonly watch: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function call<T>(session: OsSession, method: string, url: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(url, {
    method,
    headers: { 'x-auth-token': session.token, accept: 'application/json', 'content-type': 'application/json', 'openstack-api-version': 'compute 2.67' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  return { status: res.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
}

function endpoint(session: OsSession, type: string): string {
  const e = session.endpoint(type);
  if (e === undefined) throw new TraceError(`no ${type} endpoint in the catalog`);
  return e;
}

/** The one resource named (or with id) `ref` among `items`; errors as the openstack CLI words them. */
function pick(kind: string, ref: string, items: ReadonlyArray<{ id: string; name: string }>): string {
  const byId = items.find((i) => i.id === ref);
  if (byId !== undefined) return byId.id;
  const named = items.filter((i) => i.name === ref);
  if (named.length === 0) throw new TraceError(`No ${kind} with a name or ID of '${ref}' exists.`);
  if (named.length > 1) throw new TraceError(`More than one ${kind} exists with the name '${ref}'.`);
  return (named[0] as { id: string }).id;
}

async function imageId(session: OsSession, ref: string): Promise<string> {
  const base = endpoint(session, 'image').replace(/\/v2$/, '');
  const r = await call<{ images: Array<{ id: string; name: string }> }>(session, 'GET', UUID.test(ref) ? `${base}/v2/images?id=${ref}` : `${base}/v2/images?name=${encodeURIComponent(ref)}`);
  if (UUID.test(ref) && r.body?.images.length === 0) return ref;
  return pick('image', ref, r.body?.images ?? []);
}

async function flavorId(session: OsSession, ref: string): Promise<string> {
  const r = await call<{ flavors: Array<{ id: string; name: string }> }>(session, 'GET', `${endpoint(session, 'compute')}/flavors`);
  return pick('flavor', ref, r.body?.flavors ?? []);
}

async function networkId(session: OsSession, ref: string): Promise<string> {
  const base = endpoint(session, 'network').replace(/\/v2\.0$/, '');
  const r = await call<{ networks: Array<{ id: string; name: string }> }>(session, 'GET', `${base}/v2.0/networks${UUID.test(ref) ? `?id=${ref}` : `?name=${encodeURIComponent(ref)}`}`);
  return pick('network', ref, r.body?.networks ?? []);
}

/** Create the server; with watch, follow its build. Resolves to the exit code. */
export async function runServerCreate(session: OsSession, o: ServerCreateOptions, io: TraceIo): Promise<number> {
  const server: Record<string, unknown> = {
    name: o.name,
    imageRef: await imageId(session, o.image),
    flavorRef: await flavorId(session, o.flavor),
    networks: o.networks.length === 0 ? 'auto' : await Promise.all(o.networks.map(async (n) => ({ uuid: await networkId(session, n) }))),
    ...(o.keyName !== undefined ? { key_name: o.keyName } : {}),
    ...(o.userDataFile !== undefined ? { user_data: readFileSync(o.userDataFile).toString('base64') } : {}),
    ...(o.volumeSize !== undefined ? { block_device_mapping_v2: [{ source_type: 'blank', destination_type: 'volume', volume_size: o.volumeSize, delete_on_termination: true }] } : {}),
  };
  const r = await call<{ server?: { id: string }; [k: string]: unknown }>(session, 'POST', `${endpoint(session, 'compute')}/servers`, { server });
  if (r.status !== 202 || r.body?.server === undefined) {
    const err = Object.values(r.body ?? {})[0] as { message?: string } | undefined;
    throw new TraceError(`server create failed (HTTP ${r.status}): ${err?.message ?? 'no message'}`);
  }
  io.out.write(`server ${o.name} (${r.body.server.id}) requested\n`);
  if (!o.watch) return 0;
  return runTrace(session, r.body.server.id, { follow: true }, io);
}
