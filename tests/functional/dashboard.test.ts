/**
 * The dashboard in a real browser: Debian's chromium driven by playwright-core against a `strata up`
 * child with the fake driver. Log in, launch through the wizard and watch the flow timeline fill to
 * 51 steps, attach a volume, associate a floating IP, delete; over-quota launch shows the error;
 * a non-admin sees neither the admin pages nor another project's instances.
 * Screenshots go to test-results/dashboard/.
 */
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { servicesRequired, startStrataProcess, waitFor, type StrataProcess } from '@strata/testing';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? undefined : servicesRequired() ? undefined : 'chromium is not installed (apt-get install chromium)';
const ARTIFACTS = resolve(new URL('../../test-results/dashboard', import.meta.url).pathname);
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

type Json = Record<string, any>;

/** A tiny REST client of the cloud for setting things up and checking them. */
class Rest {
  constructor(
    readonly token: string,
    readonly catalog: Record<string, string>,
  ) {}
  static async login(authUrl: string, user: string, password: string, project: string): Promise<Rest> {
    const res = await fetch(`${authUrl}/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: user, domain: { name: 'Default' }, password } } }, scope: { project: { name: project, domain: { name: 'Default' } } } } }),
    });
    assert.equal(res.status, 201, `login of ${user}`);
    const body = (await res.json()) as Json;
    const catalog: Record<string, string> = {};
    for (const s of body.token.catalog as Json[]) catalog[s.type] = (s.endpoints as Json[]).find((e) => e.interface === 'public')?.url;
    return new Rest(res.headers.get('x-subject-token')!, catalog);
  }
  async call(service: string, path: string, method = 'GET', body?: unknown, expect?: number): Promise<Json> {
    const res = await fetch(`${this.catalog[service]}${path}`, {
      method,
      headers: { 'x-auth-token': this.token, 'content-type': body instanceof Uint8Array ? 'application/octet-stream' : 'application/json', 'openstack-api-version': 'compute 2.60' },
      ...(body !== undefined ? { body: body instanceof Uint8Array ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (expect !== undefined) assert.equal(res.status, expect, `${method} ${path}: ${text}`);
    else assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
    return text === '' ? {} : (JSON.parse(text) as Json);
  }
}

const until = <T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> => waitFor(what, fn, { timeoutMs, intervalMs: 250 });

describe('dashboard in headless chromium against `strata up`', { skip, timeout: 240_000 }, () => {
  let strata: StrataProcess;
  let browserCtx: BrowserContext;
  let page: Page;
  let base: string;
  let admin: Rest;
  let adminPassword: string;
  let userDir: string;
  const errors: string[] = [];

  const shot = async (name: string): Promise<void> => {
    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  };
  /** Choose an option of a Mantine Select/MultiSelect by its label. */
  const pick = async (label: string, option: string | RegExp): Promise<void> => {
    await page.getByRole('combobox', { name: label, exact: true }).click({ force: true });
    await page.getByRole('option', { name: option }).first().click();
    await page.keyboard.press('Tab');
  };
  const login = async (user: string, password: string): Promise<void> => {
    await page.locator('input[name=domain]').fill('Default');
    await page.locator('input[name=username]').fill(user);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByTestId('login-submit').click();
  };
  const logout = async (): Promise<void> => {
    await page.getByTestId('user-menu').click();
    await page.getByTestId('logout').click();
    await page.getByTestId('login-submit').waitFor();
  };
  const serverAction = async (item: string): Promise<void> => {
    await page.getByTestId('instance-actions').click();
    await page.getByTestId(item).click();
  };

  before(async () => {
    if (!existsSync(CHROMIUM)) throw new Error('STRATA_REQUIRE_SERVICES=1 but chromium is not installed');
    mkdirSync(ARTIFACTS, { recursive: true });
    strata = await startStrataProcess({ timeoutMs: 90_000 });
    base = await until('strata up to print the dashboard URL', async () => /dashboard\s+(http:\/\/\S+)/.exec(strata.output())?.[1], 10_000);
    // The bundle may still be building (first start after a change): wait until the app is served.
    await until('the dashboard bundle', async () => (await fetch(`${base}/`)).status === 200, 120_000);
    const env = strata.adminEnv;
    adminPassword = env.OS_PASSWORD!;
    admin = await Rest.login(env.OS_AUTH_URL!, env.OS_USERNAME!, adminPassword, env.OS_PROJECT_NAME!);

    // An image to boot, a volume to attach, and a second project with a member user.
    // Two images: nova-compute caches an image once booted, and the glance steps (23–26) of the
    // flow only happen on a first fetch, so the wizard boots one that nothing has used yet.
    const image = await admin.call('image', '/v2/images', 'POST', { name: 'tiny-img', disk_format: 'raw', container_format: 'bare', visibility: 'public' });
    await admin.call('image', `/v2/images/${image.id}/file`, 'PUT', new Uint8Array(65536).fill(1), 204);
    const other = await admin.call('image', '/v2/images', 'POST', { name: 'other-img', disk_format: 'raw', container_format: 'bare' });
    await admin.call('image', `/v2/images/${other.id}/file`, 'PUT', new Uint8Array(65536).fill(2), 204);
    await admin.call('block-storage', '/volumes', 'POST', { volume: { name: 'data1', size: 1 } }, 202);
    const demo = (await admin.call('identity', '/projects', 'POST', { project: { name: 'demo', domain_id: 'default' } }, 201)).project;
    const alice = (await admin.call('identity', '/users', 'POST', { user: { name: 'alice', password: 'alice-pass-1', domain_id: 'default', default_project_id: demo.id } }, 201)).user;
    const member = ((await admin.call('identity', '/roles?name=member')).roles as Json[])[0]!;
    await admin.call('identity', `/projects/${demo.id}/users/${alice.id}/roles/${member.id}`, 'PUT', undefined, 204);
    // An admin-project server that alice must not see.
    const net = ((await admin.call('network', '/v2.0/networks?name=private')).networks as Json[])[0]!;
    await admin.call('compute', '/servers', 'POST', { server: { name: 'admin-secret', flavorRef: '1', imageRef: other.id, networks: [{ uuid: net.id }] } }, 202);

    userDir = mkdtempSync(join(tmpdir(), 'strata-chromium-'));
    browserCtx = await chromium.launchPersistentContext(userDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 900 } });
    page = browserCtx.pages()[0] ?? (await browserCtx.newPage());
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (e) => errors.push(e.message));
  });

  // The page as each test left it, for looking into failures.
  afterEach(async (t) => {
    await page?.screenshot({ path: join(ARTIFACTS, `last-${t.name.slice(0, 40).replace(/[^a-z0-9]+/gi, '-')}.png`) }).catch(() => undefined);
  });

  after(async () => {
    await browserCtx?.close().catch(() => undefined);
    if (userDir !== undefined) rmSync(userDir, { recursive: true, force: true });
    await strata?.stop();
  });

  test('log in with domain, user and password; overview shows the quota charts', async () => {
    await page.goto(`${base}/overview`);
    await login('admin', 'wrong-password');
    await page.getByTestId('login-error').waitFor();
    await login('admin', adminPassword);
    await page.getByTestId('quota-chart').first().waitFor();
    const labels = await page.getByTestId('quota-chart').evaluateAll((els) => els.map((e) => e.getAttribute('data-label')));
    assert.deepEqual(labels, ['Instances', 'vCPUs', 'RAM', 'Volumes', 'Volume storage', 'Floating IPs', 'Security groups']);
    await page.getByTestId('admin-nav').waitFor();
    await shot('overview');
  });

  let serverId = '';
  test('launch through the wizard: the timeline fills to 51 steps and the status reaches Active', async () => {
    await page.goto(`${base}/instances`);
    await page.getByTestId('instances-table').waitFor();
    await page.getByTestId('launch-instance').click();
    // Validation: Next with an empty name stays on the first step.
    await page.getByTestId('wizard-next').click();
    await page.getByText('Name is required').waitFor();
    await page.locator('input[name=name]').fill('web1');
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('wizard-next').click();
    await page.getByText('Choose an image').waitFor();
    await pick('Image', 'tiny-img');
    await page.locator('input[name=new-volume]').fill('1');
    await page.getByTestId('wizard-next').click();
    await pick('Flavor', /^m1\.tiny/);
    await page.getByTestId('wizard-next').click();
    await pick('Networks', /^private/);
    await page.locator('textarea[name=user-data]').fill('#cloud-config\nhostname: web1\n');
    await shot('launch-wizard');
    await page.getByTestId('wizard-launch').click();
    await page.waitForURL(/\/instances\/[0-9a-f-]{36}$/);
    serverId = page.url().split('/').pop()!;
    const seen = new Set<number>();
    await until(
      '51 steps and ACTIVE',
      async () => {
        const n = Number(await page.getByTestId('timeline').getAttribute('data-steps'));
        seen.add(n);
        const status = await page.getByTestId('detail-status').textContent();
        return n === 51 && status === 'ACTIVE';
      },
      60_000,
    );
    assert.equal(await page.getByTestId('timeline-count').textContent(), '51 / 51 steps');
    assert.equal(await page.locator('[data-testid=timeline-step][data-state=ok]').count(), 51);
    assert.equal(await page.getByTestId('timeline-error').count(), 0);
    await shot('instance-timeline');
    // The console log tab, and the VNC console: connected (a driver with VNC) or the API's reason.
    await page.getByRole('tab', { name: 'Console log', exact: true }).click();
    await page.getByTestId('console-log').waitFor();
    await page.getByRole('tab', { name: 'Console', exact: true }).click();
    await page.getByTestId('vnc-connect').click();
    await page.locator('[data-testid=vnc-error], [data-testid=vnc-state][data-state=connected]').first().waitFor();
    await shot('instance-console');
    // The list shows it with its flavor and status.
    await page.goto(`${base}/instances`);
    const row = page.locator('[data-testid=instance-row][data-name=web1]');
    await row.waitFor();
    assert.equal(await row.getAttribute('data-status'), 'ACTIVE');
    assert.match((await row.textContent()) ?? '', /m1\.tiny/);
    await shot('instances');
  });

  test('attach a volume and associate a floating IP from the instance page', async () => {
    await page.goto(`${base}/instances/${serverId}`);
    await page.getByTestId('detail-status').waitFor();
    await serverAction('action-attach');
    await page.getByRole('combobox', { name: 'Volume', exact: true }).click();
    await page.getByRole('option', { name: /^data1/ }).click();
    await page.getByTestId('confirm-attach').click();
    await until('data1 attached', async () => ((await page.getByTestId('detail-volumes').textContent()) ?? '').includes('data1'), 30_000);
    const vols = (await admin.call('block-storage', '/volumes/detail?name=data1')).volumes as Json[];
    assert.equal(vols[0]?.attachments?.[0]?.server_id, serverId);

    await serverAction('action-fip');
    await page.getByTestId('confirm-fip').click();
    const fip = await until('a floating IP on the server', async () => {
      const ports = (await admin.call('network', `/v2.0/ports?device_id=${serverId}`)).ports as Json[];
      const fips = (await admin.call('network', `/v2.0/floatingips?port_id=${ports[0]!.id}`)).floatingips as Json[];
      return fips[0]?.floating_ip_address as string | undefined;
    });
    assert.match(fip, /^172\.24\.4\./);
    await page.goto(`${base}/floating-ips`);
    await page.getByText(fip).first().waitFor();
    await shot('floating-ips');
  });

  test('delete the instance after confirming', async () => {
    await page.goto(`${base}/instances/${serverId}`);
    await page.getByTestId('detail-status').waitFor();
    await serverAction('action-delete');
    await page.getByTestId('confirm-delete').click();
    await page.waitForURL(/\/instances$/);
    await until('the server gone', async () => {
      const res = await fetch(`${admin.catalog.compute}/servers/${serverId}`, { headers: { 'x-auth-token': admin.token } });
      return res.status === 404;
    });
    await until('the row gone', async () => (await page.locator('[data-testid=instance-row][data-name=web1]').count()) === 0, 15_000);
  });

  test('a launch over quota shows the error from nova', async () => {
    await page.goto(`${base}/instances`);
    await page.getByTestId('launch-instance').click();
    await page.locator('input[name=name]').fill('too-many');
    await page.locator('input[name=count]').fill('50');
    await page.getByTestId('wizard-next').click();
    await pick('Image', 'tiny-img');
    await page.getByTestId('wizard-next').click();
    await pick('Flavor', /^m1\.tiny/);
    await page.getByTestId('wizard-next').click();
    await pick('Networks', /^private/);
    await page.getByTestId('wizard-launch').click();
    const err = page.getByTestId('launch-error');
    await err.waitFor();
    assert.match((await err.textContent()) ?? '', /quota/i);
    await shot('launch-over-quota');
    await page.keyboard.press('Escape');
  });

  test('resource pages: upload an image with progress, create and extend a volume, network topology, a rule, a key pair', async () => {
    await page.goto(`${base}/images`);
    await page.getByRole('button', { name: 'Upload image' }).click();
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('uploaded-img');
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByTestId('image-file').click()]);
    await chooser.setFiles({ name: 'disk.raw', mimeType: 'application/octet-stream', buffer: Buffer.alloc(3 * 1024 * 1024, 7) });
    await pick('Disk format', 'raw');
    await page.getByRole('dialog').getByRole('button', { name: 'Upload' }).click();
    await page.locator('[data-testid=image-row][data-name=uploaded-img]').waitFor();
    const uploaded = await until('the image active with its 3 MiB', async () => ((await admin.call('image', '/v2/images?name=uploaded-img')).images as Json[]).find((i) => i.status === 'active' && i.size === 3 * 1024 * 1024));
    assert.equal(uploaded.disk_format, 'raw');
    await shot('images');

    await page.goto(`${base}/volumes`);
    await page.getByRole('button', { name: 'Create volume' }).click();
    await page.getByRole('dialog').getByRole('textbox', { name: 'Name', exact: true }).fill('vol-ui');
    await page.getByRole('dialog').getByRole('button', { name: 'OK' }).click();
    const row = page.locator('[data-testid=volume-row][data-name=vol-ui]');
    await row.filter({ hasText: 'available' }).waitFor();
    await row.getByRole('button', { name: 'Actions' }).click();
    await page.getByRole('menuitem', { name: 'Extend' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'OK' }).click();
    await until('vol-ui extended to 2 GB', async () => ((await admin.call('block-storage', '/volumes/detail?name=vol-ui')).volumes as Json[])[0]?.size === 2);
    await shot('volumes');

    await page.goto(`${base}/networks`);
    await page.getByTestId('topology').getByText('router1').waitFor();
    await shot('networks');

    await page.goto(`${base}/security-groups`);
    await page.getByText('default', { exact: true }).first().click();
    await page.getByRole('button', { name: 'Add rule' }).first().click();
    await page.getByRole('dialog').getByRole('button', { name: 'Add rule' }).click();
    await until('an ingress rule for port 22', async () => ((await admin.call('network', '/v2.0/security-group-rules?direction=ingress&port_range_min=22')).security_group_rules as Json[]).length > 0);
    await shot('security-groups');

    await page.goto(`${base}/key-pairs`);
    await page.getByRole('button', { name: 'Create or import key pair' }).click();
    await page.getByRole('dialog').getByRole('textbox', { name: 'Name', exact: true }).fill('ui-key');
    await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
    await page.getByText('BEGIN').first().waitFor();
    assert.ok(((await admin.call('compute', '/os-keypairs')).keypairs as Json[]).some((k) => k.keypair.name === 'ui-key'));
    await shot('key-pairs');

    await page.goto(`${base}/admin/hypervisors`);
    await page.getByTestId('hypervisor').first().waitFor();
    await shot('admin-hypervisors');
  });

  test('an expired session asks for the password over the page, and a half-filled form survives', async () => {
    await page.goto(`${base}/instances`);
    await page.getByTestId('launch-instance').click();
    await page.locator('input[name=name]').fill('keep-me');
    // Revoke the browser's token: the next API call (the wizard polls images) gets a 401.
    const stored = JSON.parse(String(await page.evaluate('sessionStorage.getItem("strata.session")'))) as { token: string };
    const revoke = await fetch(`${admin.catalog.identity}/auth/tokens`, { method: 'DELETE', headers: { 'x-auth-token': admin.token, 'x-subject-token': stored.token } });
    assert.equal(revoke.status, 204);
    const relogin = page.getByRole('dialog', { name: /Session expired/ });
    await relogin.waitFor({ timeout: 30_000 });
    await shot('session-expired');
    await relogin.getByLabel('Password', { exact: true }).fill(adminPassword);
    await relogin.getByTestId('login-submit').click();
    await relogin.waitFor({ state: 'hidden' });
    assert.equal(await page.locator('input[name=name]').inputValue(), 'keep-me');
    await page.keyboard.press('Escape');
  });

  test('a non-admin sees no admin pages and no other project instances', async () => {
    await page.goto(`${base}/instances`);
    await logout();
    await login('alice', 'alice-pass-1');
    await page.getByTestId('instances-table').waitFor();
    assert.equal(await page.getByTestId('admin-nav').count(), 0);
    assert.equal(await page.locator('[data-testid=instance-row][data-name=admin-secret]').count(), 0);
    await page.goto(`${base}/admin/instances`);
    await page.getByTestId('admin-forbidden').waitFor();
    await shot('non-admin');
    // The admin does see it (in the all-projects list).
    await logout();
    await login('admin', adminPassword);
    await page.getByTestId('admin-nav').waitFor();
    await page.goto(`${base}/admin/instances`);
    await page.locator('[data-testid=instance-row][data-name=admin-secret]').waitFor();
    await shot('admin-instances');
    assert.deepEqual(errors, [], 'no uncaught errors in the page');
  });
});
