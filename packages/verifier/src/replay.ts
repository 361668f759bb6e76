/**
 * Replay protection: each `jti` is accepted once per issuer while its token is valid.
 *
 * @module
 */

import type { AsapClaims, Clock } from '@asap-auth/core'
import { LRUCache } from 'lru-cache'
import { debug, quote } from './debug.js'
import { AsapVerificationError, ASAP_VERIFICATION_ERROR_CODES as codes } from './errors.js'

/** Records accepted tokens and rejects a second use of one. */
export type ReplayCheck = (claims: AsapClaims, keyId: string) => void

/**
 * Creates an in-memory replay store of at most `maxEntries` tokens. Each entry is keyed by `iss`
 * and `jti`, so that one issuer cannot block another's tokens by guessing its `jti` values. An
 * entry counts until the token's `exp` plus `leeway`. Later the claim checks, which run first,
 * reject the token as expired.
 *
 * NOTE: the store lives in this process only. When it is full, the least recently seen entry is
 * dropped even if its token is still valid, and that token would be accepted once more. The drop
 * is written to the debug log.
 */
export function createReplayCheck(maxEntries: number, leeway: number, clock: Clock): ReplayCheck {
  const seen = new LRUCache<string, number>({
    max: maxEntries,
    dispose: (expiresAt, _key, reason) => {
      if (reason === 'evict' && expiresAt >= clock.now()) {
        debug('replay store full (%d entries): dropped a jti of an unexpired token', maxEntries)
      }
    },
  })

  return function checkReplay(claims: AsapClaims, keyId: string): void {
    const key = `${claims.iss}\u0000${claims.jti}`
    const expiresAt = seen.get(key)
    // `>=`: the claim check accepts a token up to and including (exp + leeway) * 1000 ms.
    if (expiresAt !== undefined && expiresAt >= clock.now()) {
      throw new AsapVerificationError(
        codes.JTI_REPLAYED,
        `The token's jti ${quote(claims.jti)} from issuer ${quote(claims.iss)} was accepted before, and this service accepts each token once. Sign a new token for each request.`,
        { field: 'jti', keyId, issuer: claims.iss },
      )
    }
    seen.set(key, (claims.exp + leeway) * 1000)
  }
}
