/** @module @strata/auth — keystone token validation, request contexts and policy for every service. */
export { TokenValidator } from './token-validator.js';
export type { TokenValidatorOptions } from './token-validator.js';
export { registerKeystoneAuth, contextOf } from './keystone-auth.js';
export type { KeystoneAuthOptions } from './keystone-auth.js';
export { RequestContext } from './request-context.js';
export { rules } from './policy.js';
export type { Policy, PolicyCheck, PolicyTarget } from './policy.js';
