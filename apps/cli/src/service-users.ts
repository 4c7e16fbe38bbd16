/**
 * The service users of the cloud (nova, neutron, glance, cinder in the `service` project, as a real
 * deployment has them): where their passwords are kept, and the cached tokens services call each other with.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IdentityClient, type PasswordAuth } from '@strata/clients';

/** The project every service user belongs to, with the admin and service roles. */
export const SERVICE_PROJECT = 'service';

/**
 * A source of tokens: resolves to a valid token, reusing one while it has time left. A caller whose
 * token was refused (401: revoked, e.g. the user was disabled for a while) passes it back to get a new one.
 */
export type TokenSource = (rejected?: string) => Promise<string>;

/** `<data-dir>/service-credentials.json`: the generated passwords of the service users (mode 0600). */
export function serviceCredentialsPath(dataDir: string): string {
  return join(dataDir, 'service-credentials.json');
}

/** The entry of service-credentials.json that keeps a generated [compute] metadata_proxy_shared_secret. */
const METADATA_SECRET_KEY = 'metadata_proxy_shared_secret';

/** Every string entry of service-credentials.json; empty when there is no (readable) file. */
function readCredentialsFile(dataDir: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(serviceCredentialsPath(dataDir), 'utf8'));
  } catch {
    return {};
  }
  const out: Record<string, string> = {};
  if (typeof parsed === 'object' && parsed !== null) {
    for (const [name, value] of Object.entries(parsed)) if (typeof value === 'string') out[name] = value;
  }
  return out;
}

function writeCredentialsFile(dataDir: string, entries: Readonly<Record<string, string>>): void {
  writeFileSync(serviceCredentialsPath(dataDir), `${JSON.stringify(entries, null, 2)}\n`, { mode: 0o600 });
}

/** The passwords an earlier start kept, by user name; empty when there is no (readable) file. */
export function readServicePasswords(dataDir: string): Record<string, string> {
  const passwords = readCredentialsFile(dataDir);
  delete passwords[METADATA_SECRET_KEY];
  return passwords;
}

/** Write the passwords (mode 0600), replacing them in the file (a kept metadata secret stays). */
export function writeServicePasswords(dataDir: string, passwords: Readonly<Record<string, string>>): void {
  const secret = readCredentialsFile(dataDir)[METADATA_SECRET_KEY];
  writeCredentialsFile(dataDir, secret === undefined ? passwords : { ...passwords, [METADATA_SECRET_KEY]: secret });
}

/**
 * The secret nova's metadata API and the network agents' metadata relays share: a set [compute]
 * metadata_proxy_shared_secret wins, else the one kept in service-credentials.json; with neither,
 * `generate` makes one and keeps it there (the controller's first start), else undefined.
 */
export function metadataProxySecret(configured: string, dataDir: string, opts: { generate: true }): string;
export function metadataProxySecret(configured: string, dataDir: string, opts: { generate: boolean }): string | undefined;
export function metadataProxySecret(configured: string, dataDir: string, opts: { generate: boolean }): string | undefined {
  if (configured !== '') return configured;
  const entries = readCredentialsFile(dataDir);
  const kept = entries[METADATA_SECRET_KEY];
  if (kept !== undefined && kept !== '') return kept;
  if (!opts.generate) return undefined;
  const secret = randomBytes(32).toString('hex');
  writeCredentialsFile(dataDir, { ...entries, [METADATA_SECRET_KEY]: secret });
  return secret;
}

/** A service user and the password its config section sets ('' when unset). */
export interface ServiceUserSpec {
  readonly name: string;
  readonly configuredPassword: string;
}

/**
 * The password a service user has before bootstrap: a set [<service>] service_password wins, else the
 * one an earlier start kept (`stored`, as `readServicePasswords` reads it); undefined when neither has
 * one, which leaves bootstrap to generate it.
 */
export function knownServicePassword(user: ServiceUserSpec, stored: Readonly<Record<string, string>>): string | undefined {
  return user.configuredPassword !== '' ? user.configuredPassword : stored[user.name];
}

/** How long before its expiry a token is replaced: a fifth of its lifetime, at most five minutes. */
function renewalMargin(lifetimeMs: number): number {
  return Math.min(5 * 60_000, lifetimeMs / 5);
}

/**
 * Tokens of one user, scoped to a project: the first call authenticates, later calls get the same
 * token until shortly before it expires (by its lifetime, so clock skew with keystone does not matter).
 * Concurrent calls share one authentication; a failed one is not remembered.
 */
export function passwordTokenSource(authUrl: string, auth: PasswordAuth): TokenSource {
  const identity = new IdentityClient(authUrl);
  let cached: { value: string; renewAt: number } | undefined;
  let pending: Promise<string> | undefined;
  return async (rejected) => {
    if (rejected !== undefined && cached?.value === rejected) cached = undefined;
    if (cached !== undefined && cached.renewAt > Date.now()) return cached.value;
    pending ??= (async () => {
      const started = Date.now();
      const issued = await identity.authenticate(auth, { nocatalog: true });
      const lifetime = Date.parse(issued.body.expires_at) - Date.parse(issued.body.issued_at);
      cached = Number.isFinite(lifetime) && lifetime > 0 ? { value: issued.id, renewAt: started + lifetime - renewalMargin(lifetime) } : undefined;
      return issued.id;
    })().finally(() => (pending = undefined));
    return pending;
  };
}
