/** cinder-scheduler as its own process: `node --import tsx services/block-storage/src/bin/cinder-scheduler.ts`. */
import { quotaDefaultsOf } from '../block-storage-node.js';
import { SchedulerService } from '../scheduler/scheduler-service.js';
import { processBase, runUntilSignal } from './process.js';

const base = await processBase('cinder-scheduler');
const s = base.config.block_storage;
const scheduler = await SchedulerService.start({
  db: base.database.db,
  transport: base.transport,
  host: base.host,
  availabilityZone: s.storage_availability_zone,
  quotaDefaults: quotaDefaultsOf(s),
  logger: base.logger,
  serviceDownTimeMs: s.service_down_time,
  reportIntervalMs: s.report_interval,
});
runUntilSignal(base.logger, async () => {
  await scheduler.close();
  await base.transport.close();
  await base.database.close();
});
