/**
 * Step 3 of verification: the public key for a key ID, from HTTP repositories or a function,
 * through the cache.
 *
 * @module
 */

import { quote } from './debug.js'
import { AsapVerificationError, ASAP_VERIFICATION_ERROR_CODES as codes } from './errors.js'
import { fetchPublicKey, type LoadedPublicKey } from './http-repository.js'
import { cachePublicKeys, type PublicKeyLookup } from './key-cache.js'
import type { KeyRepositoryFunction, VerifierSettings } from './options.js'
import { toPublicKey } from './public-key.js'

/** Wraps a user's key repository function in the contract of the HTTP repositories. */
function loadWithFunction(lookUp: KeyRepositoryFunction) {
  return async function loadPublicKey(keyId: string): Promise<LoadedPublicKey> {
    let value: unknown
    try {
      value = await lookUp(keyId)
    } catch (cause) {
      throw new AsapVerificationError(
        codes.KEY_REPOSITORY_UNAVAILABLE,
        `The keyRepository function failed for key ID ${quote(keyId)}. See the cause.`,
        { keyId, cause },
      )
    }
    if (value === undefined || value === null) {
      throw new AsapVerificationError(
        codes.PUBLIC_KEY_NOT_FOUND,
        `Public key ${quote(keyId)} not found: the keyRepository function returned ${value}.`,
        { keyId },
      )
    }
    try {
      return { key: toPublicKey(value), maxAge: undefined }
    } catch (error) {
      throw new AsapVerificationError(
        codes.PUBLIC_KEY_INVALID,
        `The keyRepository function returned an unusable public key for key ID ${quote(keyId)}: ${(error as Error).message}.`,
        { keyId },
      )
    }
  }
}

/** Creates the cached public key lookup that `settings.keySource` describes. */
export function createPublicKeyLookup(settings: VerifierSettings): PublicKeyLookup {
  const { keySource } = settings
  const load =
    keySource.kind === 'function'
      ? loadWithFunction(keySource.lookUp)
      : (keyId: string) =>
          fetchPublicKey(keyId, {
            repositories: keySource.repositories,
            timeout: settings.timeout,
            dispatcher: settings.dispatcher,
          })

  return cachePublicKeys(load, {
    ttl: settings.keyCacheTtl,
    missingKeyTtl: settings.missingKeyCacheTtl,
    maxEntries: settings.keyCacheMaxEntries,
    missingKeyMaxEntries: settings.missingKeyCacheMaxEntries,
    maxConcurrentFetches: settings.maxConcurrentKeyFetches,
    maxFetchWait: settings.timeout,
    clock: settings.clock,
  })
}
