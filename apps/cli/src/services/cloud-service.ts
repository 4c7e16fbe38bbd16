/** The contract every service of the all-in-one implements: start on its port, say what goes in the catalog, stop. */
import type { Logger } from '@strata/log';
import type { Tracer } from '@strata/trace';
import type { CatalogServiceSpec } from '@strata/identity';
import type { StrataConfig } from '../strata-config.js';
import type { TokenSource } from '../service-users.js';

/** What a starting service gets. */
export interface CloudContext {
  readonly config: StrataConfig;
  readonly dataDir: string;
  readonly logger: Logger;
  /** One tracer for the whole process: every service records its FLOW.md steps here. */
  readonly tracer: Tracer;
  /** Host to listen on, and host to publish in URLs. */
  readonly listenHost: string;
  readonly publicHost: string;
  /** Keystone's auth URL (…/v3); set once identity is up. */
  readonly authUrl: string;
  /** Database URL for a service (the `{service}` template filled, or its SQLite file). */
  databaseUrl(service: string): string;
  /** The secret nova's metadata API and the network agents' metadata relays share ([compute] metadata_proxy_shared_secret, else kept or generated). */
  readonly metadataSecret: string;
}

/** The tokens a service gets once keystone is bootstrapped. */
export interface BootstrapTokens {
  /** The cloud's admin: only for the operator's own first-start work (default networks, the test image). */
  readonly admin: TokenSource;
  /** The service's own user in the `service` project: for its calls to other services. */
  readonly service: TokenSource;
}

/** A started service. */
export interface RunningService {
  /** Base URL as published (e.g. http://127.0.0.1:9292). */
  readonly url: string;
  /** Catalog entries to register for it. */
  readonly catalog: readonly CatalogServiceSpec[];
  /**
   * Its user in the `service` project (nova, neutron...), which bootstrap creates, and that user's
   * `[<group>] service_password` ('' when not set: a generated one, kept in the data dir).
   */
  readonly serviceUser?: { readonly name: string; readonly configuredPassword: string };
  /** Work to do after bootstrap (e.g. create default networks); `tokens.service` is for serviceUser (an error without one). */
  afterBootstrap?(tokens: BootstrapTokens): Promise<void>;
  close(): Promise<void>;
}

/** One service of the all-in-one, started in list order after identity. */
export interface CloudService {
  readonly name: string;
  start(ctx: CloudContext): Promise<RunningService>;
}
