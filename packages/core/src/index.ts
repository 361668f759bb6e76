/**
 * ASAP (Atlassian S2S Authentication Protocol) signer and cached token provider.
 *
 * @module
 */

export { ASAP_ALGORITHMS, isAsapAlgorithm } from './algorithms.js'
export { MAX_LIFETIME_SECONDS } from './claims.js'
export * from './errors.js'
export { isKeyIdOwnedBy, isValidKeyId, keyIdProblem } from './key-id.js'
export {
  createSigner,
  DEFAULT_BACKDATE,
  DEFAULT_EXPIRES_IN,
  type SignerOptions,
} from './signer.js'
export type * from './types.js'
