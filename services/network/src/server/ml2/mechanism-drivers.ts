/** ML2 mechanism drivers: one per network backend; each binds ports on hosts whose L2 agent it recognises. */
import type { Segment } from '../../objects/network.js';
import type { Agent } from '../../objects/agent.js';

/** The VIF a port is bound with. */
export interface Binding {
  readonly vifType: string;
  readonly vifDetails: Readonly<Record<string, unknown>>;
}

/** A mechanism driver. */
export interface MechanismDriver {
  readonly name: string;
  /** The L2 agent type it drives. */
  readonly agentType: string;
  /** The binding for a port on `segment` through `agent`, or undefined when the agent cannot wire that segment. */
  bind(segment: Segment, agent: Agent): Binding | undefined;
}

function reportsType(agent: Agent, type: string): boolean {
  const types = agent.configurations.network_types;
  return !Array.isArray(types) || types.includes(type);
}

/** Binds ports on hosts running the noop backend: nothing is wired, the VIF type is `other`. */
export class NoopMechanismDriver implements MechanismDriver {
  readonly name = 'noop';
  readonly agentType = 'Noop agent';
  bind(segment: Segment, agent: Agent): Binding | undefined {
    if (!reportsType(agent, segment.networkType)) return undefined;
    return { vifType: 'other', vifDetails: { port_filter: true, connectivity: 'l2' } };
  }
}

/** Binds ports on hosts running the linuxbridge backend: a tap device on the network's bridge. */
export class LinuxBridgeMechanismDriver implements MechanismDriver {
  readonly name = 'linuxbridge';
  readonly agentType = 'Linux bridge agent';
  bind(segment: Segment, agent: Agent): Binding | undefined {
    if (!reportsType(agent, segment.networkType)) return undefined;
    if (segment.networkType !== 'vxlan') {
      const mappings = (agent.configurations.interface_mappings ?? agent.configurations.bridge_mappings ?? {}) as Record<string, unknown>;
      if (segment.physicalNetwork === null || !(segment.physicalNetwork in mappings)) return undefined;
    }
    return { vifType: 'bridge', vifDetails: { port_filter: true, connectivity: 'l2' } };
  }
}

/** Every mechanism driver, in the order ML2 tries them. */
export const MECHANISM_DRIVERS: readonly MechanismDriver[] = [new LinuxBridgeMechanismDriver(), new NoopMechanismDriver()];

/** Agent types that are L2 agents (they bind ports). */
export const L2_AGENT_TYPES: readonly string[] = MECHANISM_DRIVERS.map((d) => d.agentType);
