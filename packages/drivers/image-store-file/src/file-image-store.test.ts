import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { FileImageStore } from './file-image-store.js';

async function bytes(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

function chunked(data: Buffer, size = 65536): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) parts.push(data.subarray(i, i + size));
  return Readable.from(parts);
}

for (const parallelHashing of [true, false]) {
  describe(`file image store (${parallelHashing ? 'MD5 on a worker thread' : 'hashing inline'})`, () => {
    let dir: string;
    let store: FileImageStore;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'strata-store-'));
      store = await FileImageStore.create({ dir, parallelHashing });
    });
    after(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });

    test('add streams to <dir>/<id> with size, MD5 and SHA-512; get reads it back whole or by range', async () => {
      const id = randomUUID();
      const data = randomBytes(3 * 1024 * 1024 + 17);
      const stored = await store.add(id, chunked(data));
      assert.equal(stored.location, `file://${join(dir, id)}`);
      assert.equal(stored.size, data.length);
      assert.equal(stored.checksum, createHash('md5').update(data).digest('hex'));
      assert.equal(stored.hashAlgo, 'sha512');
      assert.equal(stored.hashValue, createHash('sha512').update(data).digest('hex'));
      const whole = await store.get(stored.location);
      assert.equal(whole.size, data.length);
      assert.deepEqual(await bytes(whole.stream), data);
      const part = await store.get(stored.location, { offset: 100, length: 50 });
      assert.deepEqual(await bytes(part.stream), data.subarray(100, 150));
      assert.equal((await bytes((await store.get(stored.location, { offset: 5, length: 0 })).stream)).length, 0);
      await store.delete(stored.location);
      await assert.rejects(store.get(stored.location), (err: { status?: number }) => err.status === 404);
      await store.delete(stored.location);
    });

    test('an empty image is stored with the hashes of nothing', async () => {
      const stored = await store.add(randomUUID(), Readable.from([]));
      assert.equal(stored.size, 0);
      assert.equal(stored.checksum, 'd41d8cd98f00b204e9800998ecf8427e');
    });

    test('past maxSize the add fails with 413 and leaves no file behind', async () => {
      const id = randomUUID();
      await assert.rejects(store.add(id, chunked(randomBytes(300_000)), { maxSize: 200_000 }), (err: { status?: number; code?: string }) => err.status === 413 && err.code === 'ImageSizeLimitExceeded');
      assert.ok(!readdirSync(dir).some((f) => f.includes(id)));
    });

    test('a source that fails midway leaves nothing; concurrent adds do not mix', async () => {
      const id = randomUUID();
      const failing = new Readable({
        read() {
          this.push(randomBytes(65536));
          this.destroy(new Error('connection reset'));
        },
      });
      await assert.rejects(store.add(id, failing), /connection reset/);
      assert.ok(!readdirSync(dir).some((f) => f.includes(id)));
      const datas = Array.from({ length: 4 }, () => randomBytes(500_000));
      const results = await Promise.all(datas.map((d) => store.add(randomUUID(), chunked(d, 10_000))));
      results.forEach((r, i) => assert.equal(r.checksum, createHash('md5').update(datas[i] as Buffer).digest('hex')));
    });

    test('names come from image ids only: other ids and foreign locations are refused', async () => {
      await assert.rejects(store.add('../../etc/passwd', Readable.from([Buffer.from('x')])), (err: { status?: number }) => err.status === 400);
      await assert.rejects(store.get('file:///etc/passwd'), (err: { status?: number }) => err.status === 400);
      await assert.rejects(store.get(`file://${dir}/../${randomUUID()}`), (err: { status?: number }) => err.status === 400);
      await assert.rejects(store.delete(`file://${dir}/notanid`), (err: { status?: number }) => err.status === 400);
    });
  });
}

test('opening a store removes temporary files a crash left behind', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-store-'));
  const keep = randomUUID();
  writeFileSync(join(dir, `.tmp-${randomUUID()}-abc`), 'partial');
  writeFileSync(join(dir, keep), 'kept');
  const store = await FileImageStore.create({ dir });
  assert.deepEqual(readdirSync(dir), [keep]);
  assert.equal(await text((await store.get(`file://${join(dir, keep)}`)).stream), 'kept');
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});
