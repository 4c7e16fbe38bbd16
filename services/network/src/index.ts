/** @module @strata/network — neutron: Network v2.0 API, IPAM, the ML2-like plugin, and the per-host agent. */
export { NetworkService } from './network-service.js';
export type { NetworkServiceOptions } from './network-service.js';
export { NetworkAgent } from './agent/network-agent.js';
export type { NetworkAgentOptions } from './agent/network-agent.js';
export { AgentManager } from './agent/agent-manager.js';
export { AgentRpcClient, AGENT_TOPIC, AGENT_RPC_VERSION } from './agent/agent-rpc.js';
export type { AgentRpc } from './agent/agent-rpc.js';
export { PluginRpcClient, PLUGIN_TOPIC, PLUGIN_RPC_VERSION } from './server/plugin-rpc.js';
export type { PluginRpc, AgentStateReport, MetadataInstance } from './server/plugin-rpc.js';
export { NovaNotifier } from './server/nova-notifier.js';
export type { NovaEvent } from './server/nova-notifier.js';
export { networkSchema, agentHost, settingsFromConfig } from './config.js';
export { networkMigrations } from './db/migrations.js';
export { defaultSettings } from './plugin-settings.js';
export type { PluginSettings } from './plugin-settings.js';
