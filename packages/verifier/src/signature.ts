/**
 * Step 4 of verification: the signature, checked with jose against the repository's public key.
 *
 * @module
 */

import type { KeyObject } from 'node:crypto'
import { withoutPssRestriction } from '@asap-auth/core'
import { compactVerify, errors } from 'jose'
import { quote } from './debug.js'
import { AsapVerificationError, ASAP_VERIFICATION_ERROR_CODES as codes } from './errors.js'
import { keyAlgorithmMismatch } from './public-key.js'
import type { VerifiedHeader } from './token.js'

/** Plain RSA copies of RSA-PSS-restricted public keys, made once per key. */
const plainRsaKeys = new WeakMap<KeyObject, KeyObject>()

/**
 * Returns the key to give jose. An RSA-PSS-restricted key becomes a plain RSA key, because jose
 * cannot import one on Node 20. {@link keyAlgorithmMismatch} has already limited it to PS256,
 * PS384 and PS512.
 */
function verificationKey(key: KeyObject): KeyObject {
  if (key.asymmetricKeyType !== 'rsa-pss') {
    return key
  }
  let plain = plainRsaKeys.get(key)
  if (plain === undefined) {
    plain = withoutPssRestriction(key)
    plainRsaKeys.set(key, plain)
  }
  return plain
}

/**
 * Verifies the signature of `token` with `key`, for the algorithm its header names and no other.
 *
 * @throws {AsapVerificationError} `ERR_ASAP_SIGNATURE_INVALID` when the signature does not match
 * or the key does not fit the algorithm, `ERR_ASAP_TOKEN_MALFORMED` when jose cannot read the
 * token.
 */
export async function verifySignature(
  token: string,
  header: VerifiedHeader,
  key: KeyObject,
): Promise<void> {
  const details = { keyId: header.kid, field: 'signature' }

  const mismatch = keyAlgorithmMismatch(key, header.alg)
  if (mismatch !== undefined) {
    throw new AsapVerificationError(
      codes.SIGNATURE_INVALID,
      `The token's signature cannot be verified: its alg is ${header.alg}, but ${mismatch}.`,
      details,
    )
  }

  try {
    await compactVerify(token, verificationKey(key), { algorithms: [header.alg] })
  } catch (cause) {
    if (cause instanceof errors.JWSSignatureVerificationFailed) {
      throw new AsapVerificationError(
        codes.SIGNATURE_INVALID,
        `The token's ${header.alg} signature does not match the public key ${quote(header.kid)}.`,
        { ...details, cause },
      )
    }
    if (cause instanceof errors.JWSInvalid) {
      throw new AsapVerificationError(
        codes.TOKEN_MALFORMED,
        `The token cannot be read as a JWS: ${cause.message}`,
        { ...details, field: undefined, cause },
      )
    }
    throw new AsapVerificationError(
      codes.SIGNATURE_INVALID,
      `The token's ${header.alg} signature could not be verified with the public key ${quote(header.kid)}: ${(cause as Error)?.message ?? cause}`,
      { ...details, cause },
    )
  }
}
