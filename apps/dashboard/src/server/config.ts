/** The [dashboard] config group: the web dashboard's port and whether `strata up` serves it. */
import { boolOpt, portOpt } from '@strata/config';

/** Options of the dashboard. */
export const dashboardSchema = {
  dashboard: {
    enabled: boolOpt(true, 'Serve the web dashboard from `strata up`.'),
    port: portOpt(8080, 'Port of the web dashboard (static files and the same-origin API proxy under /api/<service-type>/).'),
  },
} as const;
