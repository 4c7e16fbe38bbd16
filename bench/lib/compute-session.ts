/** What the compute benches share: an admin session on a test cloud with unlimited quotas, an active image, and create/wait helpers. */
import { setTimeout as sleep } from 'node:timers/promises';
import { endpointFor, requestJson } from '@strata/clients';
import type { TestCloud } from '@strata/testing';

/** A fake driver host big enough for thousands of servers (pass as startTestCloud's env). */
export const ROOMY_FAKE_HOST = { OS_COMPUTE__FAKE_MEMORY_MB: '100000000', OS_COMPUTE__FAKE_VCPUS: '1000000', OS_COMPUTE__FAKE_LOCAL_GB: '100000000' } as const;

/** An admin's compute session. */
export interface ComputeSession {
  /** The compute API (`…/v2.1`). */
  readonly base: string;
  /** Headers of every call: the token and microversion 2.37. */
  readonly headers: Readonly<Record<string, string>>;
  readonly projectId: string;
  /** Create a server (m1.tiny, the bench image) on `networks`; resolves to its id. */
  create(name: string): Promise<string>;
  /** Poll every `pollMs` until the server is ACTIVE; throws when it goes to ERROR. */
  untilActive(id: string, pollMs?: number): Promise<void>;
}

/**
 * Raise the admin project's quotas to unlimited, upload a tiny image, and return the helpers.
 * `networks` is the server body's `networks` (`'none'`, or a list of `{uuid}`); `private` picks the
 * default private network.
 */
export async function computeSession(tc: TestCloud, networks: 'none' | 'private' = 'none'): Promise<ComputeSession> {
  const token = await tc.adminToken();
  const issued = await tc.identity.authenticate(tc.admin);
  const base = `${tc.cloud.urls.compute}/v2.1`;
  const headers = { 'x-auth-token': token, 'openstack-api-version': 'compute 2.37' };
  const projectId = issued.body.project?.id ?? '';
  await requestJson(`${base}/os-quota-sets/${projectId}`, { method: 'PUT', headers, body: { quota_set: { instances: -1, cores: -1, ram: -1 } } });
  let imageRef = '00000000-0000-4000-8000-000000000000';
  const imageUrl = endpointFor(issued.body, 'image');
  if (imageUrl !== undefined) {
    const img = await requestJson<{ id: string }>(`${imageUrl}/v2/images`, { method: 'POST', headers, body: { name: 'bench', disk_format: 'raw', container_format: 'bare' } });
    await fetch(`${imageUrl}/v2/images/${img.body.id}/file`, { method: 'PUT', headers: { ...headers, 'content-type': 'application/octet-stream' }, body: Buffer.alloc(4096) });
    imageRef = img.body.id;
  }
  let nets: unknown = 'none';
  if (networks === 'private') {
    const netUrl = endpointFor(issued.body, 'network');
    const found = await requestJson<{ networks: Array<{ id: string }> }>(`${netUrl}/v2.0/networks?name=private`, { headers });
    nets = [{ uuid: found.body.networks[0]?.id }];
  }
  return {
    base,
    headers,
    projectId,
    create: async (name) => (await requestJson<{ server: { id: string } }>(`${base}/servers`, { method: 'POST', headers, body: { server: { name, imageRef, flavorRef: '1', networks: nets } } })).body.server.id,
    untilActive: async (id, pollMs = 2) => {
      for (;;) {
        const s = await requestJson<{ server: { status: string } }>(`${base}/servers/${id}`, { headers });
        if (s.body.server.status === 'ACTIVE') return;
        if (s.body.server.status === 'ERROR') throw new Error(`server ${id} went to ERROR`);
        await sleep(pollMs);
      }
    },
  };
}
