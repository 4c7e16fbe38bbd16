/** cinder-volume of one storage host as its own process: `node --import tsx services/block-storage/src/bin/cinder-volume.ts`. */
import { createBackends, quotaDefaultsOf } from '../block-storage-node.js';
import { parseBackends } from '../config.js';
import { VolumeService } from '../volume/volume-service.js';
import { processBase, runUntilSignal } from './process.js';

const base = await processBase('cinder-volume');
const s = base.config.block_storage;
const backends = await createBackends(parseBackends(s.enabled_backends), {
  settings: s,
  dataDir: process.env.STRATA_DATA_DIR ?? 'data',
  host: base.host,
  exportAddress: s.export_address === '' ? base.config.DEFAULT.host : s.export_address,
  logger: base.logger,
});
const volume = await VolumeService.start({
  db: base.database.db,
  transport: base.transport,
  host: base.host,
  availabilityZone: s.storage_availability_zone,
  backends,
  quotaDefaults: quotaDefaultsOf(s),
  logger: base.logger,
  reportIntervalMs: s.report_interval,
});
runUntilSignal(base.logger, async () => {
  await volume.close();
  await base.transport.close();
  await base.database.close();
});
