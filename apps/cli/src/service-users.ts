/**
 * The service users of the cloud (nova, neutron, glance, cinder in the `service` project, as a real
 * deployment has them): where their passwords are kept, and the cached tokens services call each other with.
 */
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

/** The passwords an earlier start kept, by user name; empty when there is no (readable) file. */
export function readServicePasswords(dataDir: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(serviceCredentialsPath(dataDir), 'utf8'));
  } catch {
    return {};
  }
  const out: Record<string, string> = {};
  if (typeof parsed === 'object' && parsed !== null) {
    for (const [name, password] of Object.entries(parsed)) if (typeof password === 'string') out[name] = password;
  }
  return out;
}

/** Write the passwords (mode 0600), replacing the file. */
export function writeServicePasswords(dataDir: string, passwords: Readonly<Record<string, string>>): void {
  writeFileSync(serviceCredentialsPath(dataDir), `${JSON.stringify(passwords, null, 2)}\n`, { mode: 0o600 });
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
