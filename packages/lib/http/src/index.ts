/** @module @strata/http — the Fastify app factory with OpenStack error dialects and request ids. */
export { createApp, requestBaseUrl, toOpenStackError } from './create-app.js';
export type { CreateAppOptions } from './create-app.js';
export { renderError, statusTitle } from './error-dialects.js';
export type { ErrorDialect } from './error-dialects.js';
export { queryString, queryBool, queryFlag, queryInt } from './query.js';
export type { Query } from './query.js';
export { ApiVersion, negotiateMicroversion } from './microversion.js';
export type { MicroversionRules, VersionHeaders } from './microversion.js';
