/** @module @strata/identity — keystone: Identity v3. */
export { IdentityService, tokenKeyDir } from './identity-service.js';
export type { IdentityServiceOptions } from './identity-service.js';
export { IdentityApi } from './identity-api.js';
export { identitySchema } from './config.js';
export { bootstrap } from './bootstrap.js';
export type { BootstrapOptions, BootstrapResult, CatalogServiceSpec } from './bootstrap.js';
export { KeyRepository } from './token/key-repository.js';
export { identityMigrations } from './db/migrations.js';
