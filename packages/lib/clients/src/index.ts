/** @module @strata/clients — REST clients of the OpenStack APIs, used between services, by the CLI and in tests. */
export { requestJson } from './http-client.js';
export type { RequestOptions, JsonResponse } from './http-client.js';
export { IdentityClient, endpointFor } from './identity-client.js';
export type { TokenBody, IssuedToken, PasswordAuth } from './identity-client.js';
export { ImageClient, ImageChecksumMismatch, type ImageRecord, type ImagePatchOp, type ImageCallOptions, type DownloadOptions, type DownloadResult, type ImageDataDownload } from './image-client.js';
