/**
 * Conversion of RSA-PSS-restricted keys (algorithm id-RSASSA-PSS) to plain RSA keys. Node 20 can
 * neither export such a key as a JWK nor import it into WebCrypto, which jose needs, so both the
 * signer and the verifier convert it first.
 *
 * @module
 */

import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto'

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
 * Returns a plain RSA `KeyObject` with the same key material as an RSA-PSS-restricted `key`, or
 * `key` itself when it is not restricted. The key inside either structure is an ordinary PKCS#1
 * RSA key, so it is re-read as one. Callers check the PSS restrictions against the algorithm
 * before they drop them.
 */
export function withoutPssRestriction(key: KeyObject): KeyObject {
  if (key.asymmetricKeyType !== 'rsa-pss') {
    return key
  }
  if (key.type === 'public') {
    // SubjectPublicKeyInfo ::= SEQUENCE { algorithm SEQUENCE, subjectPublicKey BIT STRING }
    const der = key.export({ format: 'der', type: 'spki' })
    const info = derElement(der, 0, 0x30)
    const algorithm = derElement(der, info.start, 0x30)
    const bits = derElement(der, algorithm.end, 0x03)
    // The first octet of a BIT STRING counts its unused bits, which is 0 for a key.
    return createPublicKey({
      key: der.subarray(bits.start + 1, bits.end),
      format: 'der',
      type: 'pkcs1',
    })
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
