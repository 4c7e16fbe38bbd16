/** Test helpers shared by the block-storage suites: settings, a keystone user per project, a small REST client. */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { requestJson } from '@strata/clients';
import type { BlockStorageSettings } from './block-storage-node.js';

/** Settings for a test node: ephemeral port, one fake backend, fast heartbeats. */
export function testSettings(over: Partial<BlockStorageSettings> = {}): BlockStorageSettings {
  return {
    port: 0,
    host: `bs-${randomBytes(3).toString('hex')}`,
    storage_availability_zone: 'nova',
    default_volume_type: '__DEFAULT__',
    enabled_backends: 'fake:fake',
    volumes_dir: '',
    export_address: '127.0.0.1',
    storage_protocol: '',
    fake_capacity_gb: 10_000,
    max_over_subscription_ratio: 20,
    reserved_percentage: 0,
    report_interval: 500,
    service_down_time: 10_000,
    quota_volumes: 10,
    quota_snapshots: 10,
    quota_gigabytes: 1000,
    quota_backups: 10,
    quota_backup_gigabytes: 1000,
    quota_groups: 10,
    per_volume_size_limit: -1,
    ...over,
  };
}

/** A project with a member user, made through keystone's API as the admin. */
export async function makeMember(authUrl: string, adminToken: string, name: string): Promise<{ projectId: string; userId: string; token: () => Promise<string> }> {
  const h = { 'x-auth-token': adminToken };
  const p = await requestJson<{ project: { id: string } }>(`${authUrl}/projects`, { method: 'POST', headers: h, body: { project: { name, domain_id: 'default' } } });
  const password = `pw-${randomBytes(6).toString('hex')}`;
  const u = await requestJson<{ user: { id: string } }>(`${authUrl}/users`, { method: 'POST', headers: h, body: { user: { name: `${name}-user`, password, domain_id: 'default' } } });
  const roles = await requestJson<{ roles: Array<{ id: string }> }>(`${authUrl}/roles?name=member`, { headers: h });
  await requestJson(`${authUrl}/projects/${p.body.project.id}/users/${u.body.user.id}/roles/${roles.body.roles[0]?.id ?? ''}`, { method: 'PUT', headers: h });
  const token = async (): Promise<string> => {
    const res = await requestJson<unknown>(`${authUrl}/auth/tokens?nocatalog`, {
      method: 'POST',
      body: { auth: { identity: { methods: ['password'], password: { user: { name: `${name}-user`, password, domain: { id: 'default' } } } }, scope: { project: { id: p.body.project.id } } } },
    });
    return res.headers.get('x-subject-token') ?? '';
  };
  return { projectId: p.body.project.id, userId: u.body.user.id, token };
}

/** A response as the tests read it. */
export interface Res {
  readonly status: number;
  readonly headers: Headers;
  readonly body: any;
}

/** `call(method, path, {token, body, version})` against a block-storage base URL. */
export function volumeClient(base: string) {
  return async (method: string, path: string, opts: { token?: string; body?: unknown; version?: string; headers?: Record<string, string> } = {}): Promise<Res> => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.token !== undefined) headers['x-auth-token'] = opts.token;
    if (opts.version !== undefined) headers['openstack-api-version'] = `volume ${opts.version}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${base}${path}`, { method, headers, ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) };
  };
}

/** Poll `get` until `done` holds; throws with the last value after `timeoutMs`. */
export async function waitUntil<T>(get: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await get();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`timed out; last value: ${JSON.stringify(last)}`);
    await sleep(25);
    last = await get();
  }
  return last;
}
