/**
 * Compact JWS serialisation (RFC 7515, section 7.1) with jose.
 *
 * The protected header and the WebCrypto signing key are prepared once per signer. WebCrypto signs
 * on the libuv thread pool, so an RSA signature does not block the event loop.
 *
 * @module
 */

import type { KeyObject } from 'node:crypto'
import { type CompactJWSHeaderParameters, CompactSign, importJWK } from 'jose'
import { withoutPssRestriction } from './rsa-pss.js'
import type { AsapHeader } from './types.js'

/** Signs a JSON payload text into a compact JWS `<header>.<payload>.<signature>`. */
export type CompactSigner = (payloadJson: string) => Promise<string>

const encoder = new TextEncoder()

/**
 * Prepares a {@link CompactSigner} for one header and one key. The key must already be checked
 * against the header's algorithm.
 */
export function createCompactSigner(header: AsapHeader, key: KeyObject): CompactSigner {
  const protectedHeader: CompactJWSHeaderParameters = { ...header }
  // The import starts here, once. Given the KeyObject itself, jose would convert it again for
  // every signature that starts before its first conversion has finished.
  const signingKey = importJWK(withoutPssRestriction(key).export({ format: 'jwk' }), header.alg)
  // A failed import is reported by the first signature that awaits it.
  signingKey.catch(() => {})

  return async (payloadJson) =>
    new CompactSign(encoder.encode(payloadJson))
      .setProtectedHeader(protectedHeader)
      .sign(await signingKey)
}
