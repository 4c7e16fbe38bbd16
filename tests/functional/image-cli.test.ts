import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requestJson } from '@strata/clients';
import { servicesRequired, startTestCloud, type TestCloud } from '@strata/testing';

const run = promisify(execFile);
const hasCli = spawnSync('openstack', ['--version'], { stdio: 'ignore' }).status === 0;
const skip = hasCli || servicesRequired() ? undefined : 'the openstack CLI is not installed (set STRATA_REQUIRE_SERVICES=1 to fail instead)';
const PATCH = 'application/openstack-images-v2.1-json-patch';

describe('glance with the real openstack CLI', { skip }, () => {
  let tc: TestCloud;
  let dir: string;
  let admin: NodeJS.ProcessEnv;
  let member: NodeJS.ProcessEnv;
  let memberProject: string;
  let imageUrl: string;

  const osc = async (env: NodeJS.ProcessEnv, ...args: string[]): Promise<string> => (await run('openstack', args, { env, timeout: 60_000 })).stdout;
  const oscFails = async (env: NodeJS.ProcessEnv, ...args: string[]): Promise<string> => {
    try {
      await run('openstack', args, { env, timeout: 60_000 });
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      return `${e.stdout ?? ''}${e.stderr ?? ''}`;
    }
    throw new Error(`openstack ${args.join(' ')} succeeded`);
  };
  const rest = async (method: string, path: string, token: string, body?: string | Buffer, type?: string): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${imageUrl}${path}`, { method, headers: { 'x-auth-token': token, ...(type !== undefined ? { 'content-type': type } : {}) }, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
  };

  before(async () => {
    if (!hasCli) throw new Error('STRATA_REQUIRE_SERVICES=1 but the openstack CLI is not installed');
    tc = await startTestCloud({ env: { OS_IMAGE__IMAGE_SIZE_CAP: '2MB' } });
    imageUrl = tc.cloud.urls.image as string;
    dir = mkdtempSync(join(tmpdir(), 'strata-image-cli-'));
    const common = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', OS_AUTH_URL: tc.authUrl, OS_IDENTITY_API_VERSION: '3', OS_USER_DOMAIN_NAME: 'Default', OS_PROJECT_DOMAIN_NAME: 'Default', OS_REGION_NAME: 'RegionOne' };
    admin = { ...common, OS_USERNAME: tc.admin.username, OS_PASSWORD: tc.admin.password, OS_PROJECT_NAME: tc.admin.projectName };
    member = { ...common, OS_USERNAME: 'image-cli-user', OS_PASSWORD: 'pw-image-cli', OS_PROJECT_NAME: 'image-cli-proj' };
    const token = await tc.adminToken();
    const h = { 'x-auth-token': token };
    memberProject = (await requestJson<{ project: { id: string } }>(`${tc.authUrl}/projects`, { method: 'POST', headers: h, body: { project: { name: 'image-cli-proj' } } })).body.project.id;
    const user = (await requestJson<{ user: { id: string } }>(`${tc.authUrl}/users`, { method: 'POST', headers: h, body: { user: { name: 'image-cli-user', password: 'pw-image-cli' } } })).body.user.id;
    const role = (await requestJson<{ roles: Array<{ id: string }> }>(`${tc.authUrl}/roles?name=member`, { headers: h })).body.roles[0]?.id;
    await requestJson(`${tc.authUrl}/projects/${memberProject}/users/${user}/roles/${role}`, { method: 'PUT', headers: h });
  });
  after(async () => {
    await tc?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  test('create --file, save (same bytes), list, show, set --property/--tag, share with a project, accept, delete', async () => {
    const f = join(dir, 'disk.qcow2');
    const qcow2 = Buffer.alloc(512);
    qcow2.writeUInt32BE(0x514649fb, 0);
    qcow2.writeUInt32BE(3, 4);
    qcow2.writeBigUInt64BE(1n << 30n, 24);
    writeFileSync(f, Buffer.concat([qcow2, randomBytes(1024 * 1024)]));
    const created = JSON.parse(await osc(admin, 'image', 'create', '--disk-format', 'qcow2', '--container-format', 'bare', '--file', f, 'cli-img', '-f', 'json')) as { id: string };
    const g = join(dir, 'saved.qcow2');
    await osc(admin, 'image', 'save', '--file', g, 'cli-img');
    assert.deepEqual(readFileSync(g), readFileSync(f));
    assert.match(await osc(admin, 'image', 'list', '-f', 'value', '-c', 'Name', '-c', 'Status'), /cli-img active/);
    await osc(admin, 'image', 'set', '--property', 'os_distro=debian', '--tag', 'golden', 'cli-img');
    const shown = JSON.parse(await osc(admin, 'image', 'show', 'cli-img', '-f', 'json')) as { id: string; size: number; virtual_size: number; tags: string[]; properties: Record<string, unknown>; visibility: string };
    assert.equal(shown.id, created.id);
    assert.equal(shown.size, 512 + 1024 * 1024);
    assert.equal(shown.virtual_size, 1024 ** 3);
    assert.deepEqual(shown.tags, ['golden']);
    assert.equal(shown.properties.os_distro, 'debian');
    assert.equal(shown.visibility, 'shared');

    await osc(admin, 'image', 'add', 'project', 'cli-img', memberProject);
    assert.doesNotMatch(await osc(member, 'image', 'list', '-f', 'value', '-c', 'ID'), new RegExp(created.id), 'not listed before accepting');
    await osc(member, 'image', 'set', '--accept', created.id);
    assert.match(await osc(member, 'image', 'list', '-f', 'value', '-c', 'ID'), new RegExp(created.id), 'listed once accepted');
    assert.match(await osc(admin, 'image', 'member', 'list', 'cli-img', '-f', 'value'), new RegExp(`${memberProject} accepted`));
    const viaMember = join(dir, 'member.qcow2');
    await osc(member, 'image', 'save', '--file', viaMember, created.id);
    assert.deepEqual(readFileSync(viaMember), readFileSync(f));

    await osc(admin, 'image', 'delete', 'cli-img');
    assert.doesNotMatch(await osc(admin, 'image', 'list', '-f', 'value', '-c', 'ID'), new RegExp(created.id));
  });

  test('bad input: right status, nothing changed', async () => {
    const adminToken = await tc.adminToken();
    const memberToken = (await tc.identity.authenticate({ username: 'image-cli-user', password: 'pw-image-cli', projectName: 'image-cli-proj' })).id;
    const f = join(dir, 'small.raw');
    writeFileSync(f, randomBytes(4096));
    const img = JSON.parse(await osc(admin, 'image', 'create', '--disk-format', 'raw', '--container-format', 'bare', '--private', '--file', f, 'cli-bad', '-f', 'json')) as { id: string };
    const before = (await rest('GET', `/v2/images/${img.id}`, adminToken)).body;

    assert.equal((await rest('PATCH', `/v2/images/${img.id}`, adminToken, JSON.stringify([{ op: 'replace', path: '/name', value: 'x' }]), 'application/json')).status, 415);
    assert.equal((await rest('PATCH', `/v2/images/${img.id}`, adminToken, JSON.stringify([{ op: 'replace', path: '/name/deeper', value: 'x' }]), PATCH)).status, 400);
    assert.equal((await rest('PATCH', `/v2/images/${img.id}`, adminToken, JSON.stringify([{ op: 'replace', path: '/checksum', value: 'x' }]), PATCH)).status, 403);
    for (const field of ['/id', '/status', '/size', '/created_at', '/os_hash_value', '/file']) {
      assert.equal((await rest('PATCH', `/v2/images/${img.id}`, adminToken, JSON.stringify([{ op: 'replace', path: field, value: 'x' }]), PATCH)).status, 403, `read-only ${field}`);
    }
    assert.equal((await rest('PATCH', `/v2/images/${img.id}`, adminToken, JSON.stringify([{ op: 'replace', path: 'name', value: 'x' }]), PATCH)).status, 400, 'a path without /');
    assert.equal((await rest('PATCH', `/v2/images/${img.id}`, adminToken, JSON.stringify([{ op: 'move', path: '/name', value: 'x' }]), PATCH)).status, 400, 'an unknown op');
    assert.equal((await rest('PATCH', `/v2/images/${img.id}`, adminToken, JSON.stringify({ op: 'replace', path: '/name', value: 'x' }), PATCH)).status, 400, 'not a list');
    assert.equal((await rest('PATCH', `/v2/images/${img.id}`, adminToken, '[{', PATCH)).status, 400, 'not JSON');
    assert.equal((await rest('PUT', `/v2/images/${img.id}/file`, adminToken, Buffer.from('more'), 'application/octet-stream')).status, 409);
    assert.equal((await rest('PUT', `/v2/images/${img.id}/file`, adminToken, Buffer.from('more'), 'text/plain')).status, 415);
    assert.deepEqual((await rest('GET', `/v2/images/${img.id}`, adminToken)).body, before, 'nothing changed');

    assert.match(await oscFails(member, 'image', 'show', img.id), /No Image found|404|Could not find/i, "another project's private image is not found");
    assert.equal((await rest('GET', `/v2/images/${img.id}`, memberToken)).status, 404);
    assert.equal((await rest('DELETE', `/v2/images/${img.id}`, memberToken)).status, 404);
    assert.equal((await rest('PATCH', `/v2/images/${img.id}`, memberToken, JSON.stringify([{ op: 'replace', path: '/name', value: 'stolen' }]), PATCH)).status, 404);
    assert.equal((await rest('PUT', `/v2/images/${img.id}/tags/stolen`, memberToken)).status, 404);
    assert.equal((await rest('GET', `/v2/images/${img.id}/file`, memberToken)).status, 404);
    assert.deepEqual((await rest('GET', `/v2/images/${img.id}`, adminToken)).body, before, "another project's calls changed nothing");

    const big = join(dir, 'big.raw');
    writeFileSync(big, randomBytes(3 * 1024 * 1024));
    assert.match(await oscFails(admin, 'image', 'create', '--disk-format', 'raw', '--container-format', 'bare', '--file', big, 'cli-big'), /413|Request Entity Too Large|exceeds/i);
    // The SDK deletes the image after a failed upload; over REST the image stays, queued and empty.
    assert.doesNotMatch(await osc(admin, 'image', 'list', '-f', 'value', '-c', 'Name'), /cli-big/);
    const queued = (await rest('POST', '/v2/images', adminToken, JSON.stringify({ name: 'rest-big', disk_format: 'raw', container_format: 'bare' }), 'application/json')).body as { id: string };
    assert.equal((await rest('PUT', `/v2/images/${queued.id}/file`, adminToken, readFileSync(big), 'application/octet-stream')).status, 413);
    const left = (await rest('GET', `/v2/images/${queued.id}`, adminToken)).body as { status: string; size: number | null };
    assert.equal(left.status, 'queued');
    assert.equal(left.size, null);
  });
});
