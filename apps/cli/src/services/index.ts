/** The services the all-in-one starts after keystone, in order. Add a service by adding its module here. */
import type { CloudService } from './cloud-service.js';
import { imageService } from './image.js';
import { computeService } from './compute.js';
import { networkService } from './network.js';
import { blockStorageService } from './block-storage.js';
import { dashboardService } from './dashboard.js';

export const CLOUD_SERVICES: readonly CloudService[] = [imageService, networkService, blockStorageService, computeService, dashboardService];
