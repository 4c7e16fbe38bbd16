import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LIMIT, MAX_LIMIT, parseListQuery } from './image-filters.js';

const status = (fn: () => unknown): number | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    return (err as { status?: number }).status;
  }
};

test('defaults: 25 per page, newest first, accepted memberships, hidden images left out', () => {
  const q = parseListQuery({});
  assert.equal(q.limit, DEFAULT_LIMIT);
  assert.deepEqual(q.sort, [{ key: 'created_at', dir: 'desc' }, { key: 'id', dir: 'desc' }]);
  assert.equal(q.memberStatus, 'accepted');
  assert.equal(q.osHidden, false);
  assert.equal(q.visibility, undefined);
  assert.equal(parseListQuery({ limit: '5000' }).limit, MAX_LIMIT);
});

test('sort: sort_key/sort_dir pairs or the sort parameter, never both; bad keys and dirs are 400', () => {
  assert.deepEqual(parseListQuery({ sort_key: ['name', 'size'], sort_dir: ['asc', 'desc'] }).sort.slice(0, 2), [{ key: 'name', dir: 'asc' }, { key: 'size', dir: 'desc' }]);
  assert.deepEqual(parseListQuery({ sort: 'size:asc,name' }).sort, [{ key: 'size', dir: 'asc' }, { key: 'name', dir: 'desc' }, { key: 'created_at', dir: 'asc' }, { key: 'id', dir: 'asc' }]);
  assert.equal(status(() => parseListQuery({ sort: 'name', sort_key: 'size' })), 400);
  assert.equal(status(() => parseListQuery({ sort_key: 'owner_x' })), 400);
  assert.equal(status(() => parseListQuery({ sort_key: 'name', sort_dir: 'up' })), 400);
});

test('filters: core columns with operators, numbers, tags, custom properties', () => {
  const q = parseListQuery({ name: 'in:a,"b,c"', status: 'active', size: '1024', size_min: '10', created_at: 'gte:2024-01-01T00:00:00Z', tag: ['t1', 't2'], os_distro: 'debian', visibility: 'shared', member_status: 'pending', os_hidden: 'true' });
  assert.deepEqual(q.conditions.find((c) => c.field === 'name'), { field: 'name', op: 'in', values: ['a', 'b,c'] });
  assert.deepEqual(q.conditions.find((c) => c.field === 'status'), { field: 'status', op: 'eq', values: ['active'] });
  assert.deepEqual(q.conditions.find((c) => c.field === 'size'), { field: 'size', op: 'eq', values: [1024] });
  assert.deepEqual(q.conditions.find((c) => c.field === 'created_at'), { field: 'created_at', op: 'gte', values: ['2024-01-01T00:00:00.000Z'] });
  assert.equal(q.sizeMin, 10);
  assert.deepEqual(q.tags, ['t1', 't2']);
  assert.deepEqual(q.properties, [{ name: 'os_distro', value: 'debian' }]);
  assert.equal(q.visibility, 'shared');
  assert.equal(q.memberStatus, 'pending');
  assert.equal(q.osHidden, true);
});

test('bad values are 400', () => {
  for (const bad of [{ limit: '-1' }, { limit: 'x' }, { visibility: 'secret' }, { member_status: 'maybe' }, { os_hidden: 'perhaps' }, { size_min: 'big' }, { size: 'gt:x' }, { created_at: 'gt:yesterday' }, { protected: 'maybe' }, { name: 'gt:a' }]) {
    assert.equal(status(() => parseListQuery(bad)), 400, JSON.stringify(bad));
  }
});
