/** cinder-api as its own process: `node --import tsx services/block-storage/src/bin/cinder-api.ts`. */
import { BlockStorageService } from '../block-storage-service.js';
import { quotaDefaultsOf } from '../block-storage-node.js';
import { processBase, runUntilSignal } from './process.js';

const base = await processBase('cinder-api');
const s = base.config.block_storage;
if (s.auth_url === '') throw new Error('[block_storage] auth_url (OS_BLOCK_STORAGE__AUTH_URL) is required to run cinder-api on its own');
const api = await BlockStorageService.create({
  db: base.database.db,
  transport: base.transport,
  authUrl: s.auth_url,
  host: base.host,
  config: { defaultAvailabilityZone: s.storage_availability_zone, defaultVolumeType: s.default_volume_type, serviceDownTimeMs: s.service_down_time },
  quotaDefaults: quotaDefaultsOf(s),
  logger: base.logger,
  tokenCacheTtlMs: base.config.keystone_authtoken.cache_ttl,
  tokenTimeoutMs: base.config.keystone_authtoken.timeout,
});
await api.listen(base.config.DEFAULT.host, s.port);
runUntilSignal(base.logger, async () => {
  await api.close();
  await base.transport.close();
  await base.database.close();
});
