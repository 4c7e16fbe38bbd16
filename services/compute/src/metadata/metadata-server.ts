/**
 * nova-api-metadata: the metadata API guests reach at 169.254.169.254 (through neutron's proxy),
 * served on [compute] metadata_port. OpenStack tree under /openstack, EC2 tree under /<version>.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Conflict, NotFound } from '@strata/errors';
import { createApp } from '@strata/http';
import type { Logger } from '@strata/log';
import type { InstanceStore } from '../objects/instance.js';
import { EC2_VERSIONS, ec2MetaData, metaDataJson, networkDataJson, OPENSTACK_VERSIONS, userDataBytes, versionAtLeast, type Ec2Tree } from './instance-metadata.js';
import { MetadataLookup, type MetadataLookupOptions } from './metadata-lookup.js';

/** What the metadata API is built from. */
export interface MetadataServerOptions extends MetadataLookupOptions {
  readonly instances: InstanceStore;
  readonly logger: Logger;
}

/** Where a guest's posted password is kept (nova: system_metadata password_0..3). */
const PASSWORD_KEY = 'password_0';
/** nova's limit on a posted password. */
const MAX_PASSWORD = 256;

function notFound(): NotFound {
  return new NotFound('The resource could not be found.', {}, 'NotFound');
}

function text(reply: FastifyReply, body: string | Buffer): FastifyReply {
  return reply.type(Buffer.isBuffer(body) ? 'application/octet-stream' : 'text/plain; charset=UTF-8').send(body);
}

function json(reply: FastifyReply, body: unknown): FastifyReply {
  return reply.type('application/json').send(JSON.stringify(body));
}

function listing(entries: readonly string[]): string {
  return entries.join('\n');
}

/** Resolve `latest` and check a dated OpenStack version. */
function openstackVersion(v: string): string {
  if (v !== 'latest' && !(OPENSTACK_VERSIONS as readonly string[]).includes(v)) throw notFound();
  return v;
}

/** The metadata API app (not listening yet). */
export function createMetadataApp(o: MetadataServerOptions): FastifyInstance {
  const app = createApp({ service: 'compute-metadata', dialect: 'compute', logger: o.logger });
  app.addContentTypeParser(['text/plain', 'application/octet-stream', 'application/x-www-form-urlencoded'], { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, done) => done(null, body));
  const lookup = new MetadataLookup(o);
  const source = async (request: FastifyRequest) => {
    const instance = await lookup.instanceOf(request.headers);
    return { instance, src: await lookup.sourceOf(instance) };
  };

  // Versions. The root list is the one answer that needs no instance (as nova's).
  app.get('/', async (_request, reply) => text(reply, listing([...EC2_VERSIONS, 'latest'])));
  app.get('/openstack', async (request, reply) => {
    await lookup.instanceOf(request.headers);
    return text(reply, listing([...OPENSTACK_VERSIONS, 'latest']));
  });

  // OpenStack tree.
  app.get('/openstack/:version', async (request, reply) => {
    const v = openstackVersion((request.params as { version: string }).version);
    const { instance } = await source(request);
    const files = ['meta_data.json', 'password'];
    if (versionAtLeast(v, '2013-10-17')) files.push('vendor_data.json');
    if (versionAtLeast(v, '2015-10-15')) files.push('network_data.json');
    if (versionAtLeast(v, '2016-10-06')) files.push('vendor_data2.json');
    if (instance.userData !== null && instance.userData !== '') files.push('user_data');
    return text(reply, listing(files));
  });
  app.get('/openstack/:version/:item', async (request, reply) => {
    const { version, item } = request.params as { version: string; item: string };
    const v = openstackVersion(version);
    const { instance, src } = await source(request);
    switch (item) {
      case 'meta_data.json':
        return json(reply, metaDataJson(src, v));
      case 'user_data': {
        const data = userDataBytes(src);
        if (data === undefined) throw notFound();
        return text(reply, data);
      }
      case 'network_data.json':
        if (!versionAtLeast(v, '2015-10-15')) throw notFound();
        return json(reply, networkDataJson(src));
      case 'vendor_data.json':
        if (!versionAtLeast(v, '2013-10-17')) throw notFound();
        return json(reply, src.vendorData ?? {});
      case 'vendor_data2.json':
        // Dynamic vendor data (nova's DynamicJSON providers): none configured.
        if (!versionAtLeast(v, '2016-10-06')) throw notFound();
        return json(reply, {});
      case 'password':
        return text(reply, instance.systemMetadata[PASSWORD_KEY] ?? '');
      default:
        throw notFound();
    }
  });
  // A guest posts its (encrypted) password once; the owner reads it with `nova get-password`.
  app.post('/openstack/:version/password', async (request, reply) => {
    openstackVersion((request.params as { version: string }).version);
    const { instance } = await source(request);
    const body = typeof request.body === 'string' ? request.body : '';
    if (body.length > MAX_PASSWORD) throw new Conflict('Request is too large.', {}, 'Conflict');
    if ((instance.systemMetadata[PASSWORD_KEY] ?? '') !== '') throw new Conflict('Password already set.', {}, 'Conflict');
    await o.instances.save(instance.id, { systemMetadata: { ...instance.systemMetadata, [PASSWORD_KEY]: body } });
    return reply.code(200).send('');
  });

  // EC2 tree: /<version>/, /<version>/user-data, /<version>/meta-data/<path...>.
  const ec2Version = (v: string): void => {
    if (v !== 'latest' && !(EC2_VERSIONS as readonly string[]).includes(v)) throw notFound();
  };
  app.get('/:version', async (request, reply) => {
    ec2Version((request.params as { version: string }).version);
    const { instance } = await source(request);
    return text(reply, listing(['meta-data/', ...(instance.userData !== null && instance.userData !== '' ? ['user-data'] : [])]));
  });
  app.get('/:version/user-data', async (request, reply) => {
    ec2Version((request.params as { version: string }).version);
    const { src } = await source(request);
    const data = userDataBytes(src);
    if (data === undefined) throw notFound();
    return text(reply, data);
  });
  const ec2Path = async (request: FastifyRequest, reply: FastifyReply, path: string): Promise<FastifyReply> => {
    ec2Version((request.params as { version: string }).version);
    const { src } = await source(request);
    let node: string | Ec2Tree = ec2MetaData(src);
    for (const part of path.split('/').filter((p) => p !== '')) {
      if (typeof node === 'string') throw notFound();
      const tree: Ec2Tree = node;
      // public-keys/0 addresses the entry listed as "0=name".
      const key: string | undefined = Object.keys(tree).find((k) => k === part || k.split('=')[0] === part);
      if (key === undefined) throw notFound();
      node = tree[key] as string | Ec2Tree;
    }
    if (typeof node === 'string') return text(reply, node);
    const tree: Ec2Tree = node;
    const top = path.replace(/\/+$/, '') === 'public-keys';
    return text(reply, listing(Object.keys(tree).map((k) => (typeof tree[k] === 'string' || top ? k : `${k}/`))));
  };
  app.get('/:version/meta-data', async (request, reply) => ec2Path(request, reply, ''));
  app.get('/:version/meta-data/*', async (request, reply) => ec2Path(request, reply, (request.params as { '*': string })['*']));
  return app;
}
