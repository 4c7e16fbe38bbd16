/** The web dashboard in the all-in-one: the SPA and its same-origin API proxy on [dashboard] port. */
import { createDashboardServer, ensureBuilt, isStale } from '@strata/dashboard';
import type { CloudContext, CloudService, RunningService } from './cloud-service.js';

/** The dashboard service; it has no catalog entry. A stale or missing bundle is rebuilt in the background. */
export const dashboardService: CloudService = {
  name: 'dashboard',
  async start(ctx: CloudContext): Promise<RunningService> {
    const c = ctx.config.dashboard;
    if (!c.enabled) return { url: '', catalog: [], close: async () => undefined };
    const log = ctx.logger.child({ service: 'dashboard' });
    let building = false;
    if (isStale()) {
      building = true;
      const started = Date.now();
      log.info({}, 'dashboard bundle missing or stale: building it (vite build)');
      ensureBuilt({ log: (line) => log.info({ vite: line }, 'dashboard build') })
        .then(() => log.info({ seconds: (Date.now() - started) / 1000 }, 'dashboard bundle built'))
        .catch((err: unknown) => log.error({ err }, 'dashboard build failed: run `npm run build -w @strata/dashboard`'))
        .finally(() => (building = false));
    }
    const app = await createDashboardServer({ authUrl: ctx.authUrl, logger: ctx.logger, building: () => building });
    let listen: string;
    try {
      listen = await app.listen({ host: ctx.listenHost, port: c.port });
    } catch (err) {
      await app.close();
      throw err;
    }
    return { url: `http://${ctx.publicHost}:${new URL(listen).port}`, catalog: [], close: () => app.close() };
  },
};
