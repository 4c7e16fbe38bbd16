/** The services the all-in-one starts after keystone, in order. Add a service by adding its module here. */
import type { CloudService } from './cloud-service.js';

export const CLOUD_SERVICES: readonly CloudService[] = [];
