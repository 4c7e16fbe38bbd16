/** The API objects the routes call, bundled. */
import type { Tracer } from '@strata/trace';
import type { NetworkApi } from '../network-api.js';
import type { PortApi } from '../port-api.js';
import type { L3Api } from '../l3-api.js';
import type { SecurityGroupApi } from '../security-group-api.js';
import type { AgentApi } from '../agent-api.js';
import type { QuotaApi } from '../quota-api.js';
import type { MeteringApi } from '../metering-api.js';
import type { TagApi } from '../tag-api.js';

/** Everything the HTTP edge calls into. */
export interface NetworkApis {
  readonly networks: NetworkApi;
  readonly ports: PortApi;
  readonly l3: L3Api;
  readonly groups: SecurityGroupApi;
  readonly agents: AgentApi;
  readonly quotas: QuotaApi;
  readonly metering: MeteringApi;
  readonly tags: TagApi;
  readonly tracer: Tracer;
}
