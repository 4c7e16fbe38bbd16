/** @module @strata/dashboard — the web dashboard: its config group, web server and bundle build. */
export { dashboardSchema } from './config.js';
export { createDashboardServer } from './dashboard-server.js';
export type { DashboardServerOptions } from './dashboard-server.js';
export { ensureBuilt, isStale, DIST_DIR } from './build.js';
