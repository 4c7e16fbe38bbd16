/** glance in the all-in-one: glance-api on [image] port, its file store under <data-dir>/images. */
import { ImageService, imageDataDir } from '@strata/image';
import type { CloudContext, CloudService, RunningService } from './cloud-service.js';
import { provideTestImage, resolveComputeDriver } from './qemu-setup.js';

/** The image service of the all-in-one. */
export const imageService: CloudService = {
  name: 'image',
  async start(ctx: CloudContext): Promise<RunningService> {
    const c = ctx.config.image;
    const service = await ImageService.create({
      databaseUrl: ctx.databaseUrl('image'),
      dataDir: c.data_dir === '' ? imageDataDir(ctx.dataDir) : c.data_dir,
      authUrl: ctx.authUrl,
      logger: ctx.logger,
      tracer: ctx.tracer,
      limits: {
        imageSizeCap: c.image_size_cap,
        userStorageQuota: c.user_storage_quota,
        memberQuota: c.image_member_quota,
        propertyQuota: c.image_property_quota,
        tagQuota: c.image_tag_quota,
      },
      glanceDirect: c.enable_glance_direct,
      fsync: c.fsync_uploads,
      tokenCacheTtlMs: ctx.config.keystone_authtoken.cache_ttl,
      tokenTimeoutMs: ctx.config.keystone_authtoken.timeout,
    });
    let listen: string;
    try {
      listen = await service.listen(ctx.listenHost, c.port);
    } catch (err) {
      await service.close();
      throw err;
    }
    // glance's catalog entry is unversioned: clients discover v2 at its root.
    const url = `http://${ctx.publicHost}:${new URL(listen).port}`;
    return {
      url,
      catalog: [{ type: 'image', name: 'glance', description: 'Image Service', urls: { public: url, internal: url, admin: url } }],
      serviceUser: { name: 'glance', configuredPassword: c.service_password },
      // With real VMs, the bootable test image is built (first start) and registered as a public image, by the admin.
      afterBootstrap: async (tokens) => {
        if ((await resolveComputeDriver(ctx.config.compute.driver, ctx.logger)) === 'qemu') await provideTestImage({ dataDir: ctx.dataDir, glanceUrl: url, token: tokens.admin, logger: ctx.logger });
      },
      close: () => service.close(),
    };
  },
};
