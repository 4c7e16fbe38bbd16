import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createDatabase, migrateToLatest, type Database } from '@strata/db';
import { testDatabases } from '@strata/testing';
import type { ImageDatabase } from '../db/schema.js';
import { imageMigrations } from '../db/migrations.js';
import { ImageRepo, type ImageScope, type NewImage } from './image.js';
import { MemberRepo } from './image-member.js';
import { MetadefRepo } from './metadef.js';

const base = (owner: string, over: Partial<NewImage> = {}): NewImage => ({
  id: randomUUID(),
  name: 'img',
  visibility: 'shared',
  protected: false,
  osHidden: false,
  diskFormat: 'raw',
  containerFormat: 'bare',
  minDisk: 0,
  minRam: 0,
  owner,
  properties: {},
  tags: [],
  ...over,
});

for (const engine of await testDatabases()) {
  describe(`${engine.name}: image repo`, { skip: engine.skip }, () => {
    let database: Database<ImageDatabase>;
    let drop: () => Promise<void>;
    let images: ImageRepo;
    let members: MemberRepo;
    before(async () => {
      const made = await engine.create();
      drop = made.drop;
      database = createDatabase<ImageDatabase>(made.url);
      await migrateToLatest(database.db, imageMigrations);
      images = new ImageRepo(database.db);
      members = new MemberRepo(database.db);
    });
    after(async () => {
      await database.close();
      await drop();
    });

    test('images round-trip with properties, tags, booleans and sizes past 4 GiB; status changes are compare-and-swap', async () => {
      const img = await images.create(base('p1', { properties: { os_distro: 'debian', 'trait:X': 'required' }, tags: ['b', 'a'], protected: true }));
      const found = await images.find(img.id);
      assert.equal(found?.protected, true);
      assert.equal(found?.osHidden, false);
      assert.deepEqual(found?.properties, { os_distro: 'debian', 'trait:X': 'required' });
      assert.deepEqual(found?.tags, ['a', 'b']);
      assert.equal(await images.transition(img.id, ['queued'], 'saving'), true);
      assert.equal(await images.transition(img.id, ['queued'], 'saving'), false, 'a second upload loses the race');
      const big = 5 * 1024 ** 3 + 7;
      assert.equal(await images.transition(img.id, ['saving'], 'active', { size: big, virtualSize: 10 * 1024 ** 3, checksum: 'c', osHashAlgo: 'sha512', osHashValue: 'v', location: 'file:///x' }), true);
      const active = await images.find(img.id);
      assert.equal(active?.size, big);
      assert.equal(active?.virtualSize, 10 * 1024 ** 3);
      assert.equal(await images.storageUsed('p1'), big);
      assert.equal(await images.storageUsed('p1', img.id), 0);
      assert.equal(await images.save(img.id, { name: 'renamed', properties: { only: 'this' } }, ['queued']), false, 'guarded by status');
      assert.equal(await images.save(img.id, { name: 'renamed', properties: { only: 'this' }, tags: [] }), true);
      const saved = await images.find(img.id);
      assert.equal(saved?.name, 'renamed');
      assert.deepEqual(saved?.properties, { only: 'this' });
      assert.deepEqual(saved?.tags, []);
      const gone = await images.delete(img.id);
      assert.equal(gone?.location, 'file:///x');
      assert.equal(await images.find(img.id), undefined);
    });

    test("list scopes follow glance's visibility rules, with member statuses", async () => {
      const p = `scope-${randomUUID().slice(0, 8)}`;
      const own = await images.create(base(`${p}-a`, { visibility: 'private' }));
      const pub = await images.create(base(`${p}-b`, { visibility: 'public' }));
      const comm = await images.create(base(`${p}-b`, { visibility: 'community' }));
      const other = await images.create(base(`${p}-b`, { visibility: 'private' }));
      const pending = await images.create(base(`${p}-b`));
      const accepted = await images.create(base(`${p}-b`));
      const hidden = await images.create(base(`${p}-a`, { osHidden: true }));
      await members.create(pending.id, `${p}-a`);
      await members.create(accepted.id, `${p}-a`);
      await members.setStatus(accepted.id, `${p}-a`, 'accepted');
      const mine = [own, pub, comm, other, pending, accepted, hidden].map((i) => i.id);
      const ids = async (scope: Partial<ImageScope>, osHidden = false): Promise<string[]> =>
        (await images.listRows({ scope: { projectId: `${p}-a`, isAdmin: false, visibility: undefined, memberStatus: 'accepted', ...scope }, osHidden, conditions: [], sizeMin: undefined, sizeMax: undefined, tags: [], properties: [] }))
          .map((i) => i.id)
          .filter((id) => mine.includes(id))
          .sort();
      assert.deepEqual(await ids({}), [own.id, pub.id, accepted.id].sort());
      assert.deepEqual(await ids({ visibility: 'all' }), [own.id, pub.id, comm.id, accepted.id].sort());
      assert.deepEqual(await ids({ visibility: 'shared', memberStatus: 'pending' }), [pending.id]);
      assert.deepEqual(await ids({ visibility: 'shared', memberStatus: 'all' }), [pending.id, accepted.id].sort());
      assert.deepEqual(await ids({ visibility: 'private' }), [own.id]);
      assert.deepEqual(await ids({ visibility: 'community' }), [comm.id]);
      assert.deepEqual(await ids({}, true), [hidden.id]);
      assert.deepEqual(await ids({ isAdmin: true }), [own.id, pub.id, comm.id, other.id, pending.id, accepted.id].sort());
    });

    test('filters: in, numeric comparisons, protected, tags and properties', async () => {
      const owner = `filter-${randomUUID().slice(0, 8)}`;
      const a = await images.create(base(owner, { name: 'alpha', tags: ['x', 'y'], properties: { os_distro: 'debian' } }));
      const b = await images.create(base(owner, { name: 'beta', tags: ['x'], protected: true }));
      await images.transition(a.id, ['queued'], 'active', { size: 100 });
      await images.transition(b.id, ['queued'], 'active', { size: 300 });
      const ids = async (f: object): Promise<string[]> =>
        (await images.listRows({ scope: { projectId: owner, isAdmin: false, visibility: undefined, memberStatus: 'accepted' }, osHidden: false, conditions: [], sizeMin: undefined, sizeMax: undefined, tags: [], properties: [], ...f })).map((i) => i.id).sort();
      assert.deepEqual(await ids({ conditions: [{ field: 'name', op: 'in', values: ['alpha', 'beta'] }] }), [a.id, b.id].sort());
      assert.deepEqual(await ids({ conditions: [{ field: 'size', op: 'gt', values: [150] }] }), [b.id]);
      assert.deepEqual(await ids({ conditions: [{ field: 'protected', op: 'eq', values: ['true'] }] }), [b.id]);
      assert.deepEqual(await ids({ sizeMax: 200 }), [a.id]);
      assert.deepEqual(await ids({ tags: ['x', 'y'] }), [a.id]);
      assert.deepEqual(await ids({ properties: [{ name: 'os_distro', value: 'debian' }] }), [a.id]);
    });

    test('members are unique per image; metadef resource types are seeded', async () => {
      const img = await images.create(base('m1'));
      await members.create(img.id, 'm2');
      await assert.rejects(members.create(img.id, 'm2'));
      assert.equal(await members.count(img.id), 1);
      assert.equal(await members.delete(img.id, 'm2'), true);
      assert.equal(await members.delete(img.id, 'm2'), false);
      assert.ok((await new MetadefRepo(database.db).listResourceTypes()).some((r) => r.name === 'OS::Nova::Flavor'));
    });
  });
}
