import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listResponse, parseListQuery, project } from './list-query.js';

const views = [
  { id: 'a', name: 'one', shared: false, 'router:external': true, mtu: 1500, tags: ['x', 'y'], subnets: ['s1'] },
  { id: 'c', name: 'two', shared: true, 'router:external': false, mtu: 1450, tags: ['y'], subnets: [] },
  { id: 'b', name: 'two', shared: false, 'router:external': false, mtu: 1450, tags: [], subnets: ['s2'] },
];
const loc = (query: Record<string, string | string[]>) => ({ collection: 'networks', url: 'http://n/v2.0/networks', query });
const run = (query: Record<string, string | string[]>) => listResponse(views, parseListQuery(query), loc(query)) as { networks: Array<Record<string, unknown>>; networks_links?: Array<{ rel: string; href: string }> };
const ids = (r: { networks: Array<Record<string, unknown>> }) => r.networks.map((n) => n.id);

test('filters: exact strings, booleans as neutron spells them, numbers, repeated values OR, lists contain; unknown ignored', () => {
  assert.deepEqual(ids(run({ name: 'two' })), ['c', 'b']);
  assert.deepEqual(ids(run({ 'router:external': 'True' })), ['a']);
  assert.deepEqual(ids(run({ shared: 'false', mtu: '1450' })), ['b']);
  assert.deepEqual(ids(run({ name: ['one', 'two'], shared: '0' })), ['a', 'b']);
  assert.deepEqual(ids(run({ subnets: 's2' })), ['b']);
  assert.deepEqual(ids(run({ invalid_filter: 'x' })), ['a', 'c', 'b']);
});

test('tag filters: tags (all), tags-any, not-tags, not-tags-any', () => {
  assert.deepEqual(ids(run({ tags: 'x,y' })), ['a']);
  assert.deepEqual(ids(run({ 'tags-any': 'x,y' })), ['a', 'c']);
  assert.deepEqual(ids(run({ 'not-tags': 'x,y' })), ['c', 'b']);
  assert.deepEqual(ids(run({ 'not-tags-any': 'x' })), ['c', 'b']);
});

test('sorting with the id as tie-breaker, fields, and bad sort input', () => {
  assert.deepEqual(ids(run({ sort_key: 'name', sort_dir: 'desc' })), ['b', 'c', 'a']);
  assert.deepEqual(ids(run({ sort_key: ['mtu', 'name'], sort_dir: ['asc', 'asc'] })), ['b', 'c', 'a']);
  assert.deepEqual(run({ fields: ['id', 'mtu'] }).networks[0], { id: 'a', mtu: 1500 });
  assert.throws(() => run({ sort_key: 'nope' }), /invalid attribute for sort_key/);
  assert.throws(() => parseListQuery({ sort_dir: 'up', sort_key: 'id' }), /invalid value for sort_dir/);
  assert.throws(() => parseListQuery({ limit: 'x' }), /Limit must be an integer/);
  assert.deepEqual(project({ a: 1, b: 2 }, ['b', 'zz']), { b: 2 });
});

test('pagination: limit and marker by id order, next and previous links', () => {
  const p1 = run({ limit: '2' });
  assert.deepEqual(ids(p1), ['a', 'b']);
  assert.equal(p1.networks_links?.length, 1);
  const next = new URL(p1.networks_links![0]!.href);
  assert.equal(next.searchParams.get('marker'), 'b');
  assert.equal(next.searchParams.get('limit'), '2');
  const p2 = run({ limit: '2', marker: 'b' });
  assert.deepEqual(ids(p2), ['c']);
  assert.deepEqual(p2.networks_links?.map((l) => l.rel), ['previous']);
  const back = run({ limit: '1', marker: 'c', page_reverse: 'True' });
  assert.deepEqual(ids(back), ['b']);
  assert.deepEqual(ids(run({ limit: '0' })), ['a', 'c', 'b']);
});
