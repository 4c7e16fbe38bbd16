/** The config groups every Strata service shares: [DEFAULT], [database], [messaging], [keystone_authtoken], [logging]. */
import { durationOpt, enumOpt, stringOpt, urlOpt } from './options.js';

/** Shared groups; services spread these into their own schema. */
export const commonSchema = {
  DEFAULT: {
    host: stringOpt('127.0.0.1', 'Address every API listens on. Possible values: an IPv4/IPv6 address or host name.'),
    public_host: stringOpt('', 'Host name or address written into the catalog URLs; empty means the listen host. Possible values: a host name or address.'),
    region: stringOpt('RegionOne', 'Region name of this cloud in the catalog. Possible values: any non-empty string.', (v) => (v === '' ? 'must not be empty' : undefined)),
  },
  database: {
    connection: urlOpt(
      '',
      ['sqlite', 'postgresql', 'postgres', 'mysql', 'mariadb', 'mysql+pymysql', 'postgresql+psycopg2'],
      'Database URL; "{service}" is replaced by each service name (identity, compute, ...) so services keep separate schemas. Empty means a SQLite file per service in the data directory.',
    ),
  },
  messaging: {
    transport_url: urlOpt('memory://', ['memory', 'rabbit'], 'Message bus: memory:// (in-process) or rabbit://user:pass@host:5672/vhost.'),
  },
  keystone_authtoken: {
    cache_ttl: durationOpt(30_000, 'How long a validated token is cached by the other services; a revoked token stops working within this time.', 0, 30_000),
    timeout: durationOpt(10_000, 'Timeout of a token validation request to keystone.', 100),
  },
  logging: {
    level: enumOpt('info', ['trace', 'debug', 'info', 'warn', 'error', 'silent'], 'Lowest level written to the log.'),
  },
} as const;

/** The database URL of one service: the template with {service} filled, or a SQLite file in `dataDir`. */
export function serviceDatabaseUrl(template: string, service: string, dataDir: string): string {
  if (template === '') return `sqlite://${dataDir}/${service}.sqlite`;
  return template.replaceAll('{service}', service);
}
