/** The all-in-one's cinder: cinder-api on [block_storage] port, cinder-scheduler and one cinder-volume for this host. */
import { startBlockStorageNode } from '@strata/block-storage';
import type { CloudService } from './cloud-service.js';

/** Block Storage v3, registered in the catalog as `block-storage` (cinderv3) and `volumev3`. */
export const blockStorageService: CloudService = {
  name: 'block-storage',
  async start(ctx) {
    const node = await startBlockStorageNode({
      settings: ctx.config.block_storage,
      databaseUrl: ctx.databaseUrl('block_storage'),
      transportUrl: ctx.config.messaging.transport_url,
      authUrl: ctx.authUrl,
      dataDir: ctx.dataDir,
      listenHost: ctx.listenHost,
      logger: ctx.logger,
      tracer: ctx.tracer,
      tokenCacheTtlMs: ctx.config.keystone_authtoken.cache_ttl,
    });
    for (const [backend, driver] of node.drivers) ctx.logger.info({ backend, driver: driver.kind }, `block storage backend ${backend} uses the ${driver.kind} driver`);
    const url = `http://${ctx.publicHost}:${new URL(node.url).port}`;
    const v3 = `${url}/v3/%(project_id)s`;
    const urls = { public: v3, internal: v3, admin: v3 };
    return {
      url,
      serviceUser: { name: 'cinder', configuredPassword: ctx.config.block_storage.service_password },
      catalog: [
        { type: 'block-storage', name: 'cinderv3', description: 'Block Storage Service v3', urls },
        { type: 'volumev3', name: 'cinderv3', description: 'Block Storage Service v3 (legacy type)', urls },
      ],
      close: () => node.close(),
    };
  },
};
