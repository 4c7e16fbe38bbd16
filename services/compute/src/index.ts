/** @module @strata/compute — nova: Compute v2.1 with microversions, scheduler, conductor and compute agent. */
export { ComputeService } from './compute-service.js';
export type { ComputeServiceOptions, ComputeSettings } from './compute-service.js';
export { ComputeNode } from './compute-node.js';
export type { ComputeNodeOptions } from './compute-node.js';
export type { ComputeHostSettings } from './agent/compute-host.js';
export { ComputeApi } from './compute-api.js';
export { computeSchema } from './config.js';
export { seedFlavors, CLASSIC_FLAVORS } from './bootstrap.js';
export { computeMigrations } from './db/migrations.js';
export { InMemoryHypervisor } from './agent/in-memory-hypervisor.js';
export type { Hypervisor, GuestSpec, HostResources, HypervisorCapabilities } from './agent/hypervisor.js';
export { MIN_VERSION, MAX_VERSION, negotiateVersion, ApiVersion } from './api/microversion.js';
export { DriverHypervisor, loadDriverHypervisor } from './agent/driver-hypervisor.js';
export { configDriveData, configDriveTree, metadataSourceFromGuestSpec, metaDataJson, networkDataJson, ec2MetaData, hostnameOf } from './metadata/instance-metadata.js';
export type { MetadataSource, MetadataPort, MetadataSubnet } from './metadata/instance-metadata.js';
export { signInstanceId } from './metadata/metadata-lookup.js';
export type { VncAddress } from './agent/hypervisor.js';
