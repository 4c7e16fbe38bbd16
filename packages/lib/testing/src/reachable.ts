/** Probes for the real services a test suite may use (PostgreSQL, MariaDB, RabbitMQ) and decides skip or fail. */
import { connect } from 'node:net';

/** True when a TCP connection to host:port opens within `timeoutMs`. */
export function isReachable(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** True when CI demands the real services (`STRATA_REQUIRE_SERVICES=1`): a missing one fails instead of skipping. */
export function servicesRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.STRATA_REQUIRE_SERVICES === '1';
}

/**
 * The skip reason for a service that is not reachable, or undefined when it is.
 * Throws when the service is required, so the suite fails loudly in CI.
 */
export async function skipUnlessReachable(name: string, host: string, port: number): Promise<string | undefined> {
  // A loaded machine (Tempest, QEMU and Chromium share two cores with the suite) can be slow to
  // accept; when the service is required, give it a few patient tries before failing.
  const attempts = servicesRequired() ? 5 : 1;
  for (let i = 0; i < attempts; i++) {
    if (await isReachable(host, port, 2000)) return undefined;
    if (i + 1 < attempts) await new Promise((r) => setTimeout(r, 500));
  }
  const message = `${name} is not reachable at ${host}:${port}`;
  if (servicesRequired()) throw new Error(`${message}, and STRATA_REQUIRE_SERVICES=1 requires it`);
  return `${message}: skipped`;
}
