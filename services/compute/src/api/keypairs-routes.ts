/** /v2.1/os-keypairs: import or generate, list (items wrapped in {"keypair": ...}), show, delete. */
import { X509Certificate } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { contextOf } from '@strata/auth';
import { BadRequest, Forbidden } from '@strata/errors';
import { queryString, type Query } from '@strata/http';
import type { ComputeApi } from '../compute-api.js';
import { generateSshKeypair, sshFingerprint, type Keypair } from '../objects/keypair.js';
import { afterMarker, baseOf, bodyObject, invalid, onlyKeys, versionOf } from './route-helpers.js';
import { isoMicro } from './view-helpers.js';

function userOf(request: FastifyRequest): string {
  const ctx = contextOf(request);
  const requested = versionOf(request).atLeast('2.10') ? queryString(request.query as Query, 'user_id') : undefined;
  const target = requested ?? ctx.userId;
  ctx.authorize('os_compute_api:os-keypairs', { userId: target });
  return target;
}

/** Register keypair routes. */
export function registerKeypairRoutes(app: FastifyInstance, api: ComputeApi): void {
  app.get('/v2.1/os-keypairs', async (request) => {
    const v = versionOf(request);
    const userId = userOf(request);
    let list = await api.keypairs.list(userId);
    const q = request.query as Query;
    let links: unknown;
    if (v.atLeast('2.35')) {
      list = afterMarker(list, queryString(q, 'marker'), (k) => k.name);
      const limit = queryString(q, 'limit');
      if (limit !== undefined) {
        list = list.slice(0, Number(limit));
        if (list.length === Number(limit) && list.length > 0) links = [{ rel: 'next', href: `${baseOf(request)}/v2.1/os-keypairs?limit=${limit}&marker=${encodeURIComponent(list[list.length - 1]?.name ?? '')}` }];
      }
    }
    return {
      keypairs: list.map((k) => ({ keypair: { name: k.name, public_key: k.publicKey, fingerprint: k.fingerprint, ...(v.atLeast('2.2') ? { type: k.type } : {}) } })),
      ...(links !== undefined ? { keypairs_links: links } : {}),
    };
  });

  app.post('/v2.1/os-keypairs', async (request, reply) => {
    const ctx = contextOf(request);
    const v = versionOf(request);
    const b = bodyObject(request, 'keypair');
    onlyKeys(b, ['name', 'public_key', ...(v.atLeast('2.2') ? ['type'] : []), ...(v.atLeast('2.10') ? ['user_id'] : [])], 'keypair');
    const name = b.name;
    if (typeof name !== 'string' || name.length < 1 || name.length > 255) throw invalid('name', `${JSON.stringify(name)} is not valid`);
    // 2.92: '@' and '.' are allowed in names too.
    const safe = v.atLeast('2.92') ? /^[a-zA-Z0-9 @._-]+$/ : /^[a-zA-Z0-9 _-]+$/;
    if (!safe.test(name) || name.trim() !== name) {
      if (v.atLeast('2.92')) throw invalid('name', `'${name}' does not match '^[a-zA-Z0-9 @._-]+$'`);
      throw new BadRequest('Keypair data is invalid: Keypair name contains unsafe characters', {}, 'InvalidKeypair');
    }
    // 2.92: import only; nova no longer generates key pairs.
    if (v.atLeast('2.92') && b.public_key === undefined) throw invalid('keypair', "'public_key' is a required property");
    const type = b.type === undefined ? 'ssh' : b.type;
    if (type !== 'ssh' && type !== 'x509') throw invalid('type', `${JSON.stringify(type)} is not one of ['ssh', 'x509']`);
    const userId = typeof b.user_id === 'string' ? b.user_id : ctx.userId;
    ctx.authorize('os_compute_api:os-keypairs', { userId });
    const limits = await api.quotas.limits(ctx.projectId ?? '');
    if (limits.key_pairs >= 0 && (await api.keypairs.count(userId)) >= limits.key_pairs) throw new Forbidden('Quota exceeded, too many key pairs.', {}, 'OverQuota');
    let publicKey: string;
    let privateKey: string | undefined;
    if (b.public_key !== undefined) {
      if (typeof b.public_key !== 'string' || b.public_key === '') throw invalid('public_key', 'is not a string');
      publicKey = b.public_key.trim();
    } else {
      const g = generateSshKeypair(`Generated-by-Strata`);
      publicKey = g.publicKey;
      privateKey = g.privateKey;
    }
    const fingerprint = type === 'ssh' || privateKey !== undefined ? sshFingerprint(publicKey) : sshFingerprintX509(publicKey);
    const k = await api.keypairs.create({ userId, name, type, fingerprint, publicKey });
    const body = { keypair: { name: k.name, public_key: k.publicKey, fingerprint: k.fingerprint, user_id: k.userId, ...(privateKey !== undefined ? { private_key: privateKey } : {}), ...(v.atLeast('2.2') ? { type: k.type } : {}) } };
    return reply.code(v.atLeast('2.2') ? 201 : 200).send(body);
  });

  app.get('/v2.1/os-keypairs/:name', async (request) => {
    const v = versionOf(request);
    const userId = userOf(request);
    const k: Keypair = await api.keypairs.get(userId, (request.params as { name: string }).name);
    return { keypair: { name: k.name, public_key: k.publicKey, fingerprint: k.fingerprint, user_id: k.userId, created_at: isoMicro(k.createdAt), deleted: false, deleted_at: null, updated_at: null, id: 1, ...(v.atLeast('2.2') ? { type: k.type } : {}) } };
  });

  app.delete('/v2.1/os-keypairs/:name', async (request, reply) => {
    const v = versionOf(request);
    const userId = userOf(request);
    await api.keypairs.delete(userId, (request.params as { name: string }).name);
    return reply.code(v.atLeast('2.2') ? 204 : 202).send();
  });
}

function sshFingerprintX509(pem: string): string {
  try {
    return new X509Certificate(pem).fingerprint.toLowerCase();
  } catch {
    throw new BadRequest('Keypair data is invalid: failed to generate X509 fingerprint', {}, 'InvalidKeypair');
  }
}
