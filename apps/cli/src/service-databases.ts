/** The service databases by name (the `{service}` of `[database] connection`), without loading the services. */
export const SERVICE_DATABASES = ['identity', 'image', 'network', 'block_storage', 'compute'] as const;

/** A service database's name. */
export type ServiceDatabase = (typeof SERVICE_DATABASES)[number];
