import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@strata/log';
import { testDatabases } from '@strata/testing';
import { IdentityService } from './identity-service.js';
import { bootstrap, type BootstrapOptions } from './bootstrap.js';

const BOOT: BootstrapOptions = {
  adminUser: 'admin',
  adminProject: 'admin',
  adminPassword: 'pw',
  region: 'RegionOne',
  services: [{ type: 'identity', name: 'keystone', description: 'Identity', urls: { public: 'http://id/v3', internal: 'http://id/v3', admin: 'http://id/v3' } }],
};

for (const engine of await testDatabases()) {
  describe(`${engine.name}: bootstrap of the service users`, { skip: engine.skip }, () => {
    test('creates nova, neutron, glance and cinder in project service with admin and service roles; keeps, resets or generates passwords', async () => {
      const made = await engine.create();
      const keyDir = mkdtempSync(join(tmpdir(), 'strata-keys-'));
      const svc = await IdentityService.create({ databaseUrl: made.url, keyDir, logger: silentLogger(), passwordHashRounds: 4 });
      const login = async (name: string, password: string) =>
        svc.api.validate((await svc.api.authenticate({ methods: ['password'], password: { user: { name, password, domain: { id: 'default' } } } }, { project: { name: 'service', domain: { id: 'default' } } })).id);
      try {
        const first = await bootstrap(svc.api, { ...BOOT, serviceUsers: [{ name: 'nova', password: 'nova-pw' }, { name: 'neutron' }, { name: 'glance' }, { name: 'cinder' }] });
        for (const name of ['nova', 'neutron', 'glance', 'cinder']) assert.ok(first.created.includes(`user ${name}`), name);
        assert.deepEqual(Object.keys(first.servicePasswords).sort(), ['cinder', 'glance', 'neutron', 'nova']);
        assert.equal(first.servicePasswords.nova, 'nova-pw');
        const neutronPw = first.servicePasswords.neutron as string;
        assert.ok(neutronPw.length >= 16, 'a generated password');
        assert.notEqual(neutronPw, first.servicePasswords.glance);

        const nova = await login('nova', 'nova-pw');
        assert.equal(nova.project?.name, 'service');
        assert.deepEqual(nova.roles.map((r) => r.name).sort(), ['admin', 'member', 'reader', 'service']);
        const neutron = await login('neutron', neutronPw);
        assert.equal(neutron.user.name, 'neutron');
        const user = await svc.api.users.findByName('cinder', 'default');
        assert.equal(user?.defaultProjectId, nova.project?.id);

        // Every start: known passwords change nothing; a different one resets; none generates a new one.
        const again = await bootstrap(svc.api, { ...BOOT, serviceUsers: [{ name: 'nova', password: 'nova-pw' }, { name: 'neutron', password: neutronPw }] });
        assert.deepEqual(again.created, []);
        assert.deepEqual(again.servicePasswords, {});
        const reset = await bootstrap(svc.api, { ...BOOT, serviceUsers: [{ name: 'nova', password: 'nova-pw-2' }, { name: 'neutron' }] });
        assert.equal(reset.servicePasswords.nova, 'nova-pw-2');
        assert.ok(reset.servicePasswords.neutron !== undefined && reset.servicePasswords.neutron !== neutronPw);
        await assert.rejects(login('nova', 'nova-pw'), (err: { status?: number }) => err.status === 401);
        assert.equal((await login('nova', 'nova-pw-2')).user.name, 'nova');
        assert.equal((await login('neutron', reset.servicePasswords.neutron as string)).user.name, 'neutron');

        // Without service users, bootstrap leaves them alone.
        const plain = await bootstrap(svc.api, BOOT);
        assert.deepEqual(plain.servicePasswords, {});
        assert.equal((await login('nova', 'nova-pw-2')).user.name, 'nova');
      } finally {
        await svc.close();
        await made.drop();
        rmSync(keyDir, { recursive: true, force: true });
      }
    });
  });
}
