import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPatch, parsePatch, parsePointer, PATCH_V20, PATCH_V21 } from './json-patch.js';
import type { ImageDocument } from './image-schema.js';

const doc = (): ImageDocument => ({
  name: 'img',
  visibility: 'shared',
  protected: false,
  os_hidden: false,
  disk_format: 'raw',
  container_format: 'bare',
  min_disk: 0,
  min_ram: 0,
  owner: 'p1',
  tags: ['a'],
  properties: { os_distro: 'debian' },
});

const status = (fn: () => unknown): number | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    return (err as { status?: number }).status;
  }
};

test('both media types decode to the same operations', () => {
  const v21 = parsePatch([{ op: 'replace', path: '/name', value: 'x' }, { op: 'remove', path: '/os_distro' }], PATCH_V21);
  const v20 = parsePatch([{ replace: '/name', value: 'x' }, { remove: '/os_distro' }], PATCH_V20);
  assert.deepEqual(v21, v20);
  assert.deepEqual(v21, [{ op: 'replace', attribute: 'name', value: 'x' }, { op: 'remove', attribute: 'os_distro' }]);
});

test('pointers: only one top-level attribute, with ~0/~1 unescaped', () => {
  assert.equal(parsePointer('/a~1b~0c'), 'a/b~c');
  for (const bad of ['name', '/', '/a/b', '/a~2', 5]) assert.equal(status(() => parsePointer(bad)), 400, String(bad));
  assert.equal(status(() => parsePatch([{ op: 'add', path: '/locations/-', value: {} }], PATCH_V21)), 403);
});

test('malformed patches are 400: not a list, unknown op, missing value, two ops in a v2.0 object', () => {
  assert.equal(status(() => parsePatch({ op: 'add' }, PATCH_V21)), 400);
  assert.equal(status(() => parsePatch([{ op: 'move', path: '/name', from: '/x' }], PATCH_V21)), 400);
  assert.equal(status(() => parsePatch([{ op: 'add', path: '/name' }], PATCH_V21)), 400);
  assert.equal(status(() => parsePatch([{ add: '/a', replace: '/b', value: 1 }], PATCH_V20)), 400);
});

test('add/replace/remove of core attributes and properties, without touching the input', () => {
  const before = doc();
  const after = applyPatch(before, parsePatch([
    { op: 'replace', path: '/name', value: 'renamed' },
    { op: 'add', path: '/hw_disk_bus', value: 'virtio' },
    { op: 'replace', path: '/os_distro', value: 'ubuntu' },
    { op: 'replace', path: '/tags', value: ['x', 'x', 'y'] },
    { op: 'add', path: '/min_ram', value: 512 },
  ], PATCH_V21), PATCH_V21);
  assert.equal(after.name, 'renamed');
  assert.equal(after.min_ram, 512);
  assert.deepEqual(after.tags, ['x', 'y']);
  assert.deepEqual(after.properties, { os_distro: 'ubuntu', hw_disk_bus: 'virtio' });
  assert.deepEqual(before, doc());
  const removed = applyPatch(after, parsePatch([{ op: 'remove', path: '/hw_disk_bus' }], PATCH_V21), PATCH_V21);
  assert.deepEqual(removed.properties, { os_distro: 'ubuntu' });
});

test("glance's rules: read-only and reserved 403, removing core 403, missing property 409, v2.0 add of existing 409, bad values 400", () => {
  const apply = (ops: unknown[], mt: typeof PATCH_V20 | typeof PATCH_V21 = PATCH_V21) => status(() => applyPatch(doc(), parsePatch(ops, mt), mt));
  assert.equal(apply([{ op: 'replace', path: '/size', value: 5 }]), 403);
  assert.equal(apply([{ op: 'replace', path: '/status', value: 'active' }]), 403);
  assert.equal(apply([{ op: 'add', path: '/deleted', value: 'x' }]), 403);
  assert.equal(apply([{ op: 'add', path: '/os_glance_foo', value: 'x' }]), 403);
  assert.equal(apply([{ op: 'remove', path: '/name' }]), 403);
  assert.equal(apply([{ op: 'replace', path: '/nope', value: 'x' }]), 409);
  assert.equal(apply([{ op: 'remove', path: '/nope' }]), 409);
  assert.equal(apply([{ add: '/os_distro', value: 'x' }], PATCH_V20), 409);
  assert.equal(apply([{ op: 'add', path: '/os_distro', value: 'x' }]), undefined, 'v2.1 add replaces');
  assert.equal(apply([{ op: 'replace', path: '/disk_format', value: 'wrong' }]), 400);
  assert.equal(apply([{ op: 'replace', path: '/min_disk', value: -1 }]), 400);
  assert.equal(apply([{ op: 'replace', path: '/protected', value: 'yes' }]), 400);
  assert.equal(apply([{ op: 'add', path: '/custom', value: 5 }]), 400);
  assert.equal(apply([{ op: 'add', path: '/kernel_id', value: 'not-a-uuid' }]), 400);
});
