/** @module @strata/testing — harnesses that boot real Strata services for tests. */
export { isReachable, servicesRequired, skipUnlessReachable } from './reachable.js';
export { testDatabases } from './test-databases.js';
export type { TestDatabase } from './test-databases.js';
export { startTestCloud } from './start-test-cloud.js';
export type { TestCloud, TestCloudOptions } from './start-test-cloud.js';
export { startStrataProcess, freePort, parseOpenrc, hasOpenstackCli } from './strata-process.js';
export type { StrataProcess } from './strata-process.js';
export { startHttpStub } from './http-stub.js';
export type { HttpStub } from './http-stub.js';
export { waitFor } from './wait-for.js';
export type { WaitForOptions } from './wait-for.js';
export { onPath } from './host-tools.js';
export { addVethNamespace, deleteNamespaces, moveIntoNewNamespace, pingsFrom } from './netns.js';
export type { VethNamespace } from './netns.js';
export { addRabbitVhost, rabbitmqctlProblem } from './rabbitmq.js';
export type { RabbitVhost } from './rabbitmq.js';
export { jsonCaller, projectToken } from './project-token.js';
export type { JsonCall, ProjectToken } from './project-token.js';
