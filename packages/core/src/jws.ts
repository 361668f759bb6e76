/**
 * Compact JWS serialisation (RFC 7515, section 7.1) with jose.
 *
 * The protected header and the WebCrypto signing key are prepared once per signer. WebCrypto signs
 * on the libuv thread pool, so an RSA signature does not block the event loop.
 *
 * @module
 */

import { createPrivateKey, type KeyObject } from 'node:crypto'
import { type CompactJWSHeaderParameters, CompactSign, importJWK } from 'jose'
import type { AsapHeader } from './types.js'

/** Signs a JSON payload text into a compact JWS `<header>.<payload>.<signature>`. */
export type CompactSigner = (payloadJson: string) => Promise<string>

const encoder = new TextEncoder()

/** Returns the offset just past the header of the DER element at `offset`, and its end. */
function derElement(der: Buffer, offset: number, tag: number): { start: number; end: number } {
  if (der[offset] !== tag) {
    throw new TypeError(`unexpected DER tag at offset ${offset}`)
  }
  let length = der[offset + 1]!
  let start = offset + 2
  if (length > 0x80) {
    const octets = length - 0x80
    length = der.readUIntBE(start, octets)
    start += octets
  }
  return { start, end: start + length }
}

/**
 * Returns a plain RSA `KeyObject` for an RSA-PSS-restricted key (PKCS#8 algorithm
 * id-RSASSA-PSS). Node 20 can neither export such a key as a JWK nor import it into WebCrypto,
 * which jose needs. The private key inside is an ordinary PKCS#1 RSAPrivateKey, so it is
 * re-read as one. The PSS restrictions were checked against the algorithm before this point.
 */
function withoutPssRestriction(key: KeyObject): KeyObject {
  if (key.asymmetricKeyType !== 'rsa-pss') {
    return key
  }
  // PrivateKeyInfo ::= SEQUENCE { version INTEGER, algorithm SEQUENCE, privateKey OCTET STRING }
  const der = key.export({ format: 'der', type: 'pkcs8' })
  const info = derElement(der, 0, 0x30)
  const version = derElement(der, info.start, 0x02)
  const algorithm = derElement(der, version.end, 0x30)
  const privateKey = derElement(der, algorithm.end, 0x04)
  return createPrivateKey({
    key: der.subarray(privateKey.start, privateKey.end),
    format: 'der',
    type: 'pkcs1',
  })
}

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
