/**
 * The public key cache: found keys, remembered "not found" responses in a separate and smaller
 * cache, one shared lookup per key ID at a time, and a limit on lookups running at once.
 *
 * @module
 */

import type { KeyObject } from 'node:crypto'
import type { Clock } from '@asap-auth/core'
import { LRUCache } from 'lru-cache'
import { debug, quote } from './debug.js'
import { AsapVerificationError, ASAP_VERIFICATION_ERROR_CODES as codes } from './errors.js'
import { createFetchLimit, FetchSlotTimeoutError } from './fetch-limit.js'
import type { LoadedPublicKey } from './http-repository.js'

/** How long and how many public keys are kept, and how many lookups run at once. */
export interface KeyCacheSettings {
  /** Seconds a key is kept when its response gave no `Cache-Control` lifetime. */
  readonly ttl: number
  /** Seconds a "not found" or "unusable key" response is kept. */
  readonly missingKeyTtl: number
  /** Most found keys kept. The least recently used goes first. */
  readonly maxEntries: number
  /** Most "not found" or "unusable key" responses kept, apart from the found keys. */
  readonly missingKeyMaxEntries: number
  /** Most lookups running at once. */
  readonly maxConcurrentFetches: number
  /** Milliseconds a lookup waits for a free slot before it fails. */
  readonly maxFetchWait: number
  /** The time source, in milliseconds since the Unix epoch. */
  readonly clock: Clock
}

/** Returns the public key for a key ID, from the cache or from the repository. */
export type PublicKeyLookup = (keyId: string) => Promise<KeyObject>

interface FoundEntry {
  readonly key: KeyObject
  readonly expiresAt: number
}

interface MissingEntry {
  readonly error: AsapVerificationError
  readonly expiresAt: number
}

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

function slotTimeoutError(
  keyId: string,
  timeout: FetchSlotTimeoutError,
  maxConcurrentFetches: number,
): AsapVerificationError {
  return new AsapVerificationError(
    codes.KEY_REPOSITORY_UNAVAILABLE,
    `The public key ${quote(keyId)} was not requested: the lookup waited ${timeout.waited} ms while ${timeout.running} of at most ${maxConcurrentFetches} key lookups (maxConcurrentKeyFetches) were running. The key repository is slow, or the service receives many tokens with unknown key IDs.`,
    { keyId },
  )
}

/**
 * Wraps `load` with a cache. Keys are kept for the response's `Cache-Control` lifetime, or
 * `settings.ttl` when it gave none. "Not found" and "unusable key" responses are kept for
 * `settings.missingKeyTtl` in a cache of their own, so that a flood of tokens with unknown key IDs
 * reaches the repository once per key ID and period and never pushes a found key out. An
 * unavailable repository is not remembered, so the next lookup requests the key again.
 *
 * Concurrent lookups of one key ID share one call of `load`. At most
 * `settings.maxConcurrentFetches` calls run at once. The others wait in order of arrival, each
 * for at most `settings.maxFetchWait` milliseconds, and then fail with
 * `ERR_ASAP_KEY_REPOSITORY_UNAVAILABLE`, which is not cached.
 *
 * Expiry is checked against `settings.clock` on every read, not with lru-cache's own TTL timers.
 */
export function cachePublicKeys(
  load: (keyId: string) => Promise<LoadedPublicKey>,
  settings: KeyCacheSettings,
): PublicKeyLookup {
  const foundKeys = new LRUCache<string, FoundEntry>({ max: settings.maxEntries })
  const missingKeys = new LRUCache<string, MissingEntry>({ max: settings.missingKeyMaxEntries })
  const fetchLimit = createFetchLimit(settings.maxConcurrentFetches, settings.maxFetchWait)
  const inFlight = new Map<string, Promise<KeyObject>>()

  function storeFound(keyId: string, entry: FoundEntry): void {
    missingKeys.delete(keyId)
    if (entry.expiresAt > settings.clock.now()) {
      foundKeys.set(keyId, entry)
    } else {
      foundKeys.delete(keyId)
    }
  }

  function storeMissing(keyId: string, entry: MissingEntry): void {
    foundKeys.delete(keyId)
    if (entry.expiresAt > settings.clock.now()) {
      missingKeys.set(keyId, entry)
    } else {
      missingKeys.delete(keyId)
    }
  }

  // NOTE: the limit bounds concurrent lookups, not their number. Each distinct unknown key ID still
  // costs one lookup per `missingKeyTtl`, unless the verifier's allowedIssuers check rejects it first.
  // A key ID the repository served before waits ahead of the others, because no token can make one
  // up, so a flood of made-up key IDs cannot hold back the renewal of a real key. A real key ID
  // seen for the first time, such as after a key rotation, still waits in line.
  async function loadWithinLimit(keyId: string, known: boolean): Promise<LoadedPublicKey> {
    try {
      return await fetchLimit.run(() => load(keyId), known)
    } catch (error) {
      if (error instanceof FetchSlotTimeoutError) {
        debug('public key kid=%s: no free lookup slot after %d ms', keyId, error.waited)
        throw slotTimeoutError(keyId, error, settings.maxConcurrentFetches)
      }
      throw error
    }
  }

  async function loadAndStore(keyId: string, known: boolean): Promise<KeyObject> {
    try {
      const { key, maxAge } = await loadWithinLimit(keyId, known)
      storeFound(keyId, { key, expiresAt: settings.clock.now() + (maxAge ?? settings.ttl) * 1000 })
      return key
    } catch (error) {
      if (error instanceof AsapVerificationError && cachedErrorCodes.has(error.code)) {
        storeMissing(keyId, {
          error,
          expiresAt: settings.clock.now() + settings.missingKeyTtl * 1000,
        })
      }
      throw error
    }
  }

  return async function lookUpPublicKey(keyId: string): Promise<KeyObject> {
    const now = settings.clock.now()
    const found = foundKeys.get(keyId)
    if (found !== undefined && found.expiresAt > now) {
      return found.key
    }
    const missing = missingKeys.get(keyId)
    if (missing !== undefined && missing.expiresAt > now) {
      debug('public key kid=%s: cached failure %s', keyId, missing.error.code)
      throw copyError(missing.error)
    }

    let pending = inFlight.get(keyId)
    if (pending === undefined) {
      // `finally` callbacks run on a later microtask, so the entry is always set before it is deleted.
      pending = loadAndStore(keyId, found !== undefined).finally(() => inFlight.delete(keyId))
      inFlight.set(keyId, pending)
    }
    try {
      return await pending
    } catch (error) {
      throw error instanceof AsapVerificationError ? copyError(error) : error
    }
  }
}
