/**
 * undici dispatcher interceptor that puts cached ASAP (Atlassian S2S Authentication Protocol)
 * tokens on requests to mapped origins.
 *
 * @module
 */

export {
  AsapError,
  AsapOriginNotMappedError,
  type AsapRequestOptions,
  type AudienceFunction,
  type AudienceOption,
  type AudienceTarget,
  createTokenProvider,
  isAsapError,
} from '@asap-auth/core'
export { asap } from './interceptor.js'
export type { AsapInterceptorOptions } from './options.js'
export type { AsapDispatchSetting } from './request-options.js'
