/**
 * The public key cache: found keys, remembered "not found" responses, and one shared lookup per
 * key ID at a time.
 *
 * @module
 */

import type { KeyObject } from 'node:crypto'
import type { Clock } from '@asap-auth/core'
import { LRUCache } from 'lru-cache'
import { debug } from './debug.js'
import { AsapVerificationError, ASAP_VERIFICATION_ERROR_CODES as codes } from './errors.js'
import type { LoadedPublicKey } from './http-repository.js'

/** How long and how many public keys are kept. */
export interface KeyCacheSettings {
  /** Seconds a key is kept when its response gave no `Cache-Control` lifetime. */
  readonly ttl: number
  /** Seconds a "not found" or "unusable key" response is kept. */
  readonly missingKeyTtl: number
  /** Most key IDs kept, found and missing together. The least recently used goes first. */
  readonly maxEntries: number
  /** The time source, in milliseconds since the Unix epoch. */
  readonly clock: Clock
}

/** Returns the public key for a key ID, from the cache or from the repository. */
export type PublicKeyLookup = (keyId: string) => Promise<KeyObject>

type CacheEntry =
  | { readonly key: KeyObject; readonly expiresAt: number }
  | { readonly error: AsapVerificationError; readonly expiresAt: number }

const cachedErrorCodes: ReadonlySet<string> = new Set([
  codes.PUBLIC_KEY_NOT_FOUND,
  codes.PUBLIC_KEY_INVALID,
])

/** Creates an error with the same code and details, so that callers never share one error object. */
function copyError(error: AsapVerificationError): AsapVerificationError {
  return new AsapVerificationError(error.code, error.message, {
    keyId: error.keyId,
    repositories: error.repositories,
    cause: error.cause,
  })
}

/**
 * Wraps `load` with a cache. Keys are kept for the response's `Cache-Control` lifetime, or
 * `settings.ttl` when it gave none. "Not found" and "unusable key" responses are kept for
 * `settings.missingKeyTtl`, so that a flood of tokens with unknown key IDs reaches the repository
 * once per key ID and period. An unavailable repository is not remembered, so the next lookup
 * requests the key again. Concurrent lookups of one key ID share one call of `load`.
 *
 * Expiry is checked against `settings.clock` on every read, not with lru-cache's own TTL timers.
 */
export function cachePublicKeys(
  load: (keyId: string) => Promise<LoadedPublicKey>,
  settings: KeyCacheSettings,
): PublicKeyLookup {
  const entries = new LRUCache<string, CacheEntry>({ max: settings.maxEntries })
  const inFlight = new Map<string, Promise<KeyObject>>()

  function store(keyId: string, entry: CacheEntry): void {
    if (entry.expiresAt > settings.clock.now()) {
      entries.set(keyId, entry)
    } else {
      entries.delete(keyId)
    }
  }

  async function loadAndStore(keyId: string): Promise<KeyObject> {
    try {
      const { key, maxAge } = await load(keyId)
      store(keyId, { key, expiresAt: settings.clock.now() + (maxAge ?? settings.ttl) * 1000 })
      return key
    } catch (error) {
      if (error instanceof AsapVerificationError && cachedErrorCodes.has(error.code)) {
        store(keyId, { error, expiresAt: settings.clock.now() + settings.missingKeyTtl * 1000 })
      }
      throw error
    }
  }

  return async function lookUpPublicKey(keyId: string): Promise<KeyObject> {
    const entry = entries.get(keyId)
    if (entry !== undefined && entry.expiresAt > settings.clock.now()) {
      if ('error' in entry) {
        debug('public key kid=%s: cached failure %s', keyId, entry.error.code)
        throw copyError(entry.error)
      }
      return entry.key
    }

    let pending = inFlight.get(keyId)
    if (pending === undefined) {
      // `finally` callbacks run on a later microtask, so the entry is always set before it is deleted.
      pending = loadAndStore(keyId).finally(() => inFlight.delete(keyId))
      inFlight.set(keyId, pending)
    }
    try {
      return await pending
    } catch (error) {
      throw error instanceof AsapVerificationError ? copyError(error) : error
    }
  }
}
