/**
 * ASAP (Atlassian S2S Authentication Protocol) verifier: checks tokens against public keys from
 * key repositories, with a Node `http` helper and an Express-style middleware.
 *
 * @module
 */

export { MAX_KEY_CACHE_TTL } from './cache-control.js'
export {
  type VerifierEnvironmentOptions,
  type VerifierEnvironmentSettings,
  verifierOptionsFromEnv,
} from './env.js'
export {
  ASAP_VERIFICATION_ERROR_CODES,
  AsapVerificationError,
  type AsapVerificationErrorCode,
  type AsapVerificationErrorOptions,
  isAsapVerificationError,
  wwwAuthenticateHeader,
} from './errors.js'
export {
  type AsapMiddleware,
  type AsapRequest,
  createAsapMiddleware,
  type NextFunction,
  readAuthorizationHeader,
  sendVerificationFailure,
  verifyRequest,
} from './http.js'
export { MAX_PUBLIC_KEY_RESPONSE_BYTES, PEM_MEDIA_TYPE } from './http-repository.js'
export {
  DEFAULT_KEY_CACHE_MAX_ENTRIES,
  DEFAULT_KEY_CACHE_TTL,
  DEFAULT_LEEWAY,
  DEFAULT_MAX_CONCURRENT_KEY_FETCHES,
  DEFAULT_MISSING_KEY_CACHE_MAX_ENTRIES,
  DEFAULT_MISSING_KEY_CACHE_TTL,
  DEFAULT_REPLAY_CACHE_MAX_ENTRIES,
  DEFAULT_TIMEOUT,
  type KeyRepository,
  type KeyRepositoryFunction,
  MAX_CONCURRENT_KEY_FETCHES,
  MAX_LEEWAY,
  MAX_TIMEOUT,
  type PublicKeyInput,
  type ReplayProtectionOptions,
  type VerifierOptions,
} from './options.js'
export { MAX_KEY_ID_LENGTH, MAX_TOKEN_LENGTH, type VerifiedHeader } from './token.js'
export { createVerifier, type VerifiedToken, type Verifier } from './verifier.js'
