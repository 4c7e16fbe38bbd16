import { volumeDriverConformance } from '@strata/volume/conformance';
import { FakeVolumeDriver } from './fake-volume-driver.js';

volumeDriverConformance({
  name: 'fake',
  localHost: 'fake-host',
  create: async () => ({ driver: new FakeVolumeDriver({ totalCapacityGb: 100 }), cleanup: async () => {} }),
});
