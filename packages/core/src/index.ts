/**
 * ASAP (Atlassian S2S Authentication Protocol) signer and cached token provider.
 *
 * @module
 */

export {
  type AdapterDescription,
  type AsapAdapterOptions,
  AsapOriginNotMappedError,
  type AsapRequestOptions,
  type AudienceFunction,
  type AudienceOption,
  type AudienceResolver,
  type AudienceTarget,
  createAudienceResolver,
  isIdempotentMethod,
  normalizeOrigin,
  type ProviderOption,
  type ResolvedAdapterOptions,
  readRequestOptions,
  resolveAdapterOptions,
  resolveRequestAudience,
} from './adapter.js'
export { ASAP_ALGORITHMS, isAsapAlgorithm } from './algorithms.js'
export { MAX_LIFETIME_SECONDS } from './claims.js'
export { type Environment, type EnvironmentSignerOptions, signerOptionsFromEnv } from './env.js'
export * from './errors.js'
export { isKeyIdOwnedBy, isValidKeyId, keyIdProblem } from './key-id.js'
export { assertKnownOptions } from './option-names.js'
export {
  type LoadedPrivateKey,
  loadPrivateKey,
  MAX_KEY_INPUT_LENGTH,
  type PrivateKeyForm,
} from './private-key.js'
export { withoutPssRestriction } from './rsa-pss.js'
export {
  createSigner,
  DEFAULT_BACKDATE,
  DEFAULT_EXPIRES_IN,
  type SignerOptions,
} from './signer.js'
export {
  createTokenProvider,
  DEFAULT_MAX_TOKENS,
  DEFAULT_REFRESH_AHEAD,
  DEFAULT_REFRESH_MARGIN,
  isTokenProvider,
  type TokenProviderOptions,
} from './token-provider.js'
export type * from './types.js'
