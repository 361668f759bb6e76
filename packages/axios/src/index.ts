/**
 * axios adapter for ASAP (Atlassian S2S Authentication Protocol): an interceptor that adds cached
 * ASAP tokens to requests for mapped origins.
 *
 * @module
 */

export {
  AsapOriginNotMappedError,
  type AsapRequestOptions,
  type AudienceOption,
  type ProviderOption,
} from '@asap-auth/core'
export { AsapUrlChangedError } from './errors.js'
export type { AsapAxiosOptions } from './options.js'
export { REDACTED_TOKEN } from './redact.js'
export { type AsapRequestHandler, asapRequestInterceptor } from './request-interceptor.js'
export { withAsap } from './with-asap.js'
