/** The services the all-in-one starts after keystone, in order. Add a service by adding its module here. */
import type { CloudService } from './cloud-service.js';
import { imageService } from './image.js';
import { networkService } from './network.js';

export const CLOUD_SERVICES: readonly CloudService[] = [imageService, networkService];
