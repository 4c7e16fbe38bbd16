/** The `strata` command line: up, host, bootstrap, db sync, keystone rotate-keys, trace, server create. */
import { join, resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { ConfigError, serviceDatabaseUrl } from '@strata/config';
import { createLogger } from '@strata/log';
import { locate, loadStrataConfig } from './strata-config.js';
import { SERVICE_DATABASES } from './service-databases.js';
import { CredentialsError, findCredentials, openSession } from './commands/os-session.js';
import { runTrace, TraceError } from './commands/trace.js';
import { runServerCreate } from './commands/server-create.js';

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Wait for SIGINT or SIGTERM, then run `close` and say so. */
function untilSignal(close: () => Promise<void>): Promise<void> {
  return new Promise<void>((resolveStop) => {
    const stop = (signal: string): void => {
      print(`\nStopping (${signal})...`);
      void close().then(() => {
        print('Stopped.');
        resolveStop();
      });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

// NOTE: the services load in the commands that run them (up, host, bootstrap, db sync, keystone):
// importing them all costs over a second, which trace, server create and --help need not pay.

/** Run the CLI; resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('strata').description('Strata: an OpenStack-compatible cloud in one command.').exitOverride();
  let exitCode = 0;

  program
    .command('up')
    .description('Start the whole cloud in this process (all-in-one).')
    .option('--data-dir <dir>', 'data directory (default: $STRATA_DATA_DIR or ./data)')
    .option('--config <file>', 'config file (default: <data-dir>/strata.toml)')
    .option('--driver <driver>', 'hypervisor driver of this host: fake, qemu or auto (overrides [compute] driver)')
    .option('--fake-hosts <n>', 'extra fake compute hosts to run in this process (overrides [compute] fake_hosts)')
    .action(async (flags: { dataDir?: string; config?: string; driver?: string; fakeHosts?: string }) => {
      const loc = locate(flags, process.env);
      const overrides: Record<string, string> = {};
      if (flags.driver !== undefined) overrides.OS_COMPUTE__DRIVER = flags.driver;
      if (flags.fakeHosts !== undefined) overrides.OS_COMPUTE__FAKE_HOSTS = flags.fakeHosts;
      const config = loadStrataConfig(loc, { ...process.env, ...overrides });
      const logFile = join(loc.dataDir, 'strata.log');
      const logger = createLogger({ level: config.logging.level, file: logFile, bindings: { app: 'strata' } });
      print(`Starting Strata (data: ${loc.dataDir})...`);
      const { startCloud } = await import('./cloud.js');
      const cloud = await startCloud({ dataDir: loc.dataDir, config, logger });
      print('');
      print('Strata is up.');
      const width = Math.max(...Object.keys(cloud.urls).map((s) => s.length));
      for (const [service, url] of Object.entries(cloud.urls)) if (url !== '') print(`  ${service.padEnd(width)}  ${url}`);
      print('');
      print(`Admin credentials: ${cloud.openrc} (shell) and ${cloud.cloudsYaml} (cloud "strata")`);
      print(`  source ${cloud.openrc} && openstack token issue`);
      print(`Logs: ${logFile}`);
      print('Press Ctrl-C to stop.');
      await untilSignal(() => cloud.close());
    });

  program
    .command('host')
    .description('Run one more compute host against a running controller: nova-compute and the neutron-agent of host --name, on its RabbitMQ.')
    .requiredOption('--name <host>', 'host name (its nova-compute service and network agent)')
    .option('--data-dir <dir>', "the controller's data dir (openrc and service-credentials.json give keystone's URL and nova's password); this host's state goes to <data-dir>/hosts/<name>")
    .option('--config <file>', 'config file (default: <data-dir>/strata.toml)')
    .option('--auth-url <url>', "keystone's URL (default: OS_AUTH_URL of <data-dir>/openrc, else the configured identity address)")
    .option('--driver <driver>', 'hypervisor driver of this host: fake, qemu or auto (overrides [compute] driver)')
    .action(async (flags: { name: string; dataDir?: string; config?: string; authUrl?: string; driver?: string }) => {
      const loc = locate(flags, process.env);
      const config = loadStrataConfig(loc, { ...process.env, ...(flags.driver !== undefined ? { OS_COMPUTE__DRIVER: flags.driver } : {}) });
      const { checkHostName, HostError, maskTransportUrl, startHost } = await import('./host.js');
      let host;
      let logFile = '';
      try {
        checkHostName(flags.name);
        logFile = join(loc.dataDir, 'hosts', flags.name, 'strata.log');
        const logger = createLogger({ level: config.logging.level, file: logFile, bindings: { app: 'strata-host', host: flags.name } });
        host = await startHost({ name: flags.name, dataDir: loc.dataDir, config, logger, ...(flags.authUrl !== undefined ? { authUrl: flags.authUrl } : {}) });
      } catch (err) {
        if (!(err instanceof HostError)) throw err;
        process.stderr.write(`strata host: ${err.message}\n`);
        exitCode = 2;
        return;
      }
      print(`Host ${host.name} is up: nova-compute (${host.driver} driver) and neutron-agent.`);
      print(`  bus       ${maskTransportUrl(config.messaging.transport_url)}`);
      print(`  keystone  ${host.authUrl}`);
      print(`Logs: ${logFile}`);
      print('Press Ctrl-C to stop.');
      await untilSignal(() => host.close());
    });

  program
    .command('bootstrap')
    .description('Create the admin account, roles, region and catalog (what `up` does on first start), then exit.')
    .option('--data-dir <dir>', 'data directory')
    .option('--config <file>', 'config file')
    .action(async (flags: { dataDir?: string; config?: string }) => {
      const loc = locate(flags, process.env);
      const config = loadStrataConfig(loc, process.env);
      const logger = createLogger({ level: 'warn', file: join(loc.dataDir, 'strata.log') });
      const { startCloud } = await import('./cloud.js');
      // Start and stop on ephemeral ports would publish the wrong URLs: bootstrap with the configured ones.
      const cloud = await startCloud({ dataDir: loc.dataDir, config: { ...config, identity: { ...config.identity } }, logger });
      await cloud.close();
      print(cloud.adminPassword !== undefined ? `Bootstrapped; admin credentials in ${cloud.openrc}` : 'Already bootstrapped; nothing to do.');
    });

  const db = program.command('db').description('Database administration.');
  db.command('sync')
    .description('Apply pending migrations of every service (or one) to a database.')
    .option('--connection <url>', 'database URL ({service} is replaced by the service name); default from the config')
    .option('--service <name>', `only this service (${SERVICE_DATABASES.join(', ')})`)
    .option('--data-dir <dir>', 'data directory')
    .option('--config <file>', 'config file')
    .action(async (flags: { connection?: string; service?: string; dataDir?: string; config?: string }) => {
      const loc = locate(flags, process.env);
      const config = loadStrataConfig(loc, process.env);
      const [{ MIGRATIONS }, { createDatabase, ensureDatabase, maskUrl, migrateToLatest }] = await Promise.all([import('./databases.js'), import('@strata/db')]);
      const names = flags.service === undefined ? Object.keys(MIGRATIONS) : [flags.service];
      for (const name of names) {
        const set = MIGRATIONS[name as keyof typeof MIGRATIONS];
        if (set === undefined) throw new Error(`unknown service ${name}; known: ${Object.keys(MIGRATIONS).join(', ')}`);
        const url = serviceDatabaseUrl(flags.connection ?? config.database.connection, name, loc.dataDir);
        if (await ensureDatabase(url)) print(`${name}: created the database (${maskUrl(url)})`);
        const database = createDatabase(url);
        try {
          const applied = await migrateToLatest(database.db, set);
          print(`${name}: ${applied.length === 0 ? 'up to date' : `applied ${applied.join(', ')}`} (${maskUrl(url)})`);
        } finally {
          await database.close();
        }
      }
    });

  const keystone = program.command('keystone').description('Identity administration.');
  keystone
    .command('rotate-keys')
    .description('Rotate the token signing keys: the staged key becomes primary; the oldest beyond max_active_keys is removed.')
    .option('--data-dir <dir>', 'data directory')
    .option('--config <file>', 'config file')
    .action(async (flags: { dataDir?: string; config?: string }) => {
      const loc = locate(flags, process.env);
      const config = loadStrataConfig(loc, process.env);
      const { KeyRepository, tokenKeyDir } = await import('@strata/identity');
      const r = new KeyRepository(tokenKeyDir(loc.dataDir), config.identity.max_active_keys).rotate();
      print(`Rotated: key ${r.primary} is primary${r.removed.length > 0 ? `; removed ${r.removed.join(', ')}` : ''}. Restart keystone (or send SIGHUP) to use it.`);
    });

  program
    .command('trace')
    .description('Print the FLOW.md steps recorded for a server\'s create, one line per step (uses OS_* / OS_CLOUD / <data-dir>/openrc credentials).')
    .argument('<server>', 'server name or ID')
    .option('--follow', 'show the steps live while the server builds')
    .option('--data-dir <dir>', 'data directory whose openrc to use when no OS_* variables are set')
    .action(async (server: string, flags: { follow?: boolean; dataDir?: string }) => {
      const dataDir = resolve(flags.dataDir ?? process.env.STRATA_DATA_DIR ?? 'data');
      try {
        const session = await openSession(findCredentials(process.env, dataDir));
        exitCode = await runTrace(session, server, { follow: flags.follow === true }, { out: process.stdout, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) });
      } catch (err) {
        if (!(err instanceof TraceError || err instanceof CredentialsError)) throw err;
        process.stderr.write(`strata trace: ${err.message}\n`);
        exitCode = 1;
      }
    });

  const serverCmd = program.command('server').description('Servers, through the public compute API (as the openstack CLI).');
  serverCmd
    .command('create')
    .description('Create a server; with --watch, show its build step by step (FLOW.md) until it is ACTIVE or ERROR.')
    .argument('<name>', 'server name')
    .requiredOption('--image <image>', 'image name or ID')
    .requiredOption('--flavor <flavor>', 'flavor name or ID')
    .option('--network <network>', 'network name or ID (repeatable; none given: auto)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--volume-size <gb>', 'also create and attach a blank volume of this size')
    .option('--key-name <name>', 'key pair to inject')
    .option('--user-data <file>', 'user data file')
    .option('--watch', 'follow the build step by step')
    .option('--data-dir <dir>', 'data directory whose openrc to use when no OS_* variables are set')
    .action(async (name: string, flags: { image: string; flavor: string; network: string[]; volumeSize?: string; keyName?: string; userData?: string; watch?: boolean; dataDir?: string }) => {
      const dataDir = resolve(flags.dataDir ?? process.env.STRATA_DATA_DIR ?? 'data');
      try {
        const session = await openSession(findCredentials(process.env, dataDir));
        exitCode = await runServerCreate(
          session,
          {
            name,
            image: flags.image,
            flavor: flags.flavor,
            networks: flags.network,
            ...(flags.volumeSize !== undefined ? { volumeSize: Number(flags.volumeSize) } : {}),
            ...(flags.keyName !== undefined ? { keyName: flags.keyName } : {}),
            ...(flags.userData !== undefined ? { userDataFile: flags.userData } : {}),
            watch: flags.watch === true,
          },
          { out: process.stdout, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) },
        );
      } catch (err) {
        if (!(err instanceof TraceError || err instanceof CredentialsError)) throw err;
        process.stderr.write(`strata server create: ${err.message}\n`);
        exitCode = 1;
      }
    });

  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof ConfigError) {
      process.stderr.write(`strata: configuration error: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`strata: ${(err as Error).message}\n`);
    exitCode = 1;
  }
  return exitCode;
}
