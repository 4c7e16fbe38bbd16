/** RabbitMQ vhosts of a test's own, made with `rabbitmqctl` (which needs root and a running broker). */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const rabbitmqctl = (...args: string[]): Promise<unknown> => run('rabbitmqctl', args, { timeout: 60_000 });

let problem: { reason: string | undefined } | undefined;

/** Why `rabbitmqctl` cannot manage vhosts here (not installed, or not working), or undefined. Asked once per process. */
export function rabbitmqctlProblem(): string | undefined {
  if (problem === undefined) {
    const r = spawnSync('rabbitmqctl', ['list_vhosts'], { stdio: 'ignore', timeout: 60_000 });
    problem = { reason: r.error !== undefined && (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'rabbitmqctl is not installed' : r.status === 0 ? undefined : 'rabbitmqctl list_vhosts fails (it needs root and a running RabbitMQ)' };
  }
  return problem.reason;
}

/** A vhost made for one test. */
export interface RabbitVhost {
  readonly name: string;
  /** `rabbit://guest:guest@127.0.0.1:5672/<name>`: `[messaging] transport_url` for the vhost. */
  readonly transportUrl: string;
  /** Deletes the vhost (and its queues). */
  remove(): Promise<void>;
}

/** Adds vhost `name` on the local broker, with all permissions for `guest`. */
export async function addRabbitVhost(name: string): Promise<RabbitVhost> {
  const vhost: RabbitVhost = {
    name,
    transportUrl: `rabbit://guest:guest@127.0.0.1:5672/${name}`,
    remove: async () => {
      await rabbitmqctl('delete_vhost', name);
    },
  };
  await rabbitmqctl('add_vhost', name);
  try {
    await rabbitmqctl('set_permissions', '-p', name, 'guest', '.*', '.*', '.*');
  } catch (err) {
    await vhost.remove().catch(() => undefined);
    throw err;
  }
  return vhost;
}
