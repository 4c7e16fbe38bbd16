/** Parses oslo-style database URLs (`sqlite:///path`, `postgresql://…`, `mysql://…`) into a dialect and its settings. */

/** The SQL engines Strata runs on. */
export type DialectName = 'sqlite' | 'postgres' | 'mysql';

/** A parsed database URL. */
export type ParsedDatabaseUrl =
  | { readonly dialect: 'sqlite'; readonly filename: string }
  | { readonly dialect: 'postgres' | 'mysql'; readonly host: string; readonly port: number; readonly user: string; readonly password: string; readonly database: string };

/** Parse a database URL; throws with the URL (password masked) when it is not one we support. */
export function parseDatabaseUrl(url: string): ParsedDatabaseUrl {
  const scheme = /^([a-z0-9+]+):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) throw new Error(`not a database URL: ${maskUrl(url)}`);
  const base = scheme.split('+')[0];
  if (base === 'sqlite') {
    const filename = url.slice(scheme.length + 3);
    if (filename === '') throw new Error('sqlite URL needs a file name (or :memory:)');
    return { dialect: 'sqlite', filename };
  }
  if (base === 'postgresql' || base === 'postgres' || base === 'mysql' || base === 'mariadb') {
    const u = new URL(url.replace(/^[^:]+:/, 'http:'));
    const dialect = base.startsWith('postgres') ? 'postgres' : 'mysql';
    const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
    if (database === '') throw new Error(`database URL names no database: ${maskUrl(url)}`);
    return {
      dialect,
      host: u.hostname || '127.0.0.1',
      port: u.port === '' ? (dialect === 'postgres' ? 5432 : 3306) : Number(u.port),
      user: decodeURIComponent(u.username) || (dialect === 'postgres' ? 'postgres' : 'root'),
      password: decodeURIComponent(u.password),
      database,
    };
  }
  throw new Error(`unsupported database scheme ${scheme}: use sqlite, postgresql or mysql`);
}

/** The URL with its password replaced by ***, for logs and errors. */
export function maskUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):([^@]*)@/, '//$1:***@');
}
