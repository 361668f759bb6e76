/**
 * Reading public keys from key repositories and checking them against a token's algorithm.
 *
 * @module
 */

import { createPublicKey, KeyObject } from 'node:crypto'
import type { AsapAlgorithm } from '@asap-auth/core'

/** The key types and curves each algorithm accepts, as Node names them. */
const keyRequirements: Readonly<
  Record<AsapAlgorithm, { keyTypes: readonly string[]; namedCurve?: string }>
> = {
  RS256: { keyTypes: ['rsa'] },
  RS384: { keyTypes: ['rsa'] },
  RS512: { keyTypes: ['rsa'] },
  PS256: { keyTypes: ['rsa', 'rsa-pss'] },
  PS384: { keyTypes: ['rsa', 'rsa-pss'] },
  PS512: { keyTypes: ['rsa', 'rsa-pss'] },
  ES256: { keyTypes: ['ec'], namedCurve: 'prime256v1' },
  ES384: { keyTypes: ['ec'], namedCurve: 'secp384r1' },
  ES512: { keyTypes: ['ec'], namedCurve: 'secp521r1' },
}

const acceptedCurves: ReadonlySet<string> = new Set(['prime256v1', 'secp384r1', 'secp521r1'])

const MIN_RSA_BITS = 2048

const spkiPemPattern =
  /^-----BEGIN PUBLIC KEY-----\r?\n[A-Za-z0-9+/=\r\n]+-----END PUBLIC KEY-----$/

/**
 * Returns why `key` cannot verify any ASAP token, or `undefined` when it can: it must be a public
 * RSA key of at least 2048 bits, or a public EC key on P-256, P-384 or P-521.
 */
export function publicKeyProblem(key: KeyObject): string | undefined {
  if (key.type !== 'public') {
    return `it is a ${key.type} key, not a public key`
  }
  const keyType = key.asymmetricKeyType ?? 'unknown'
  const details = key.asymmetricKeyDetails ?? {}

  if (keyType === 'rsa' || keyType === 'rsa-pss') {
    const bits = details.modulusLength ?? 0
    return bits < MIN_RSA_BITS
      ? `it is a ${bits}-bit RSA key, and ASAP requires at least ${MIN_RSA_BITS} bits`
      : undefined
  }
  if (keyType === 'ec') {
    return acceptedCurves.has(details.namedCurve ?? '')
      ? undefined
      : `it is an EC key on curve ${details.namedCurve}, and ASAP accepts only P-256, P-384 and P-521`
  }
  return `it is a ${keyType} key, and ASAP accepts only RSA and EC keys`
}

/**
 * Reads an SPKI PEM (`-----BEGIN PUBLIC KEY-----`) with nothing else but surrounding
 * whitespace, and checks it with {@link publicKeyProblem}.
 *
 * @throws {Error} whose message explains why the text is not a usable public key.
 */
export function parsePublicKeyPem(text: string): KeyObject {
  const pem = text.trim()
  if (!spkiPemPattern.test(pem)) {
    throw new Error('the body is not one SPKI PEM public key ("-----BEGIN PUBLIC KEY-----")')
  }
  let key: KeyObject
  try {
    key = createPublicKey({ key: pem, format: 'pem' })
  } catch {
    throw new Error('the SPKI PEM public key cannot be read')
  }
  const problem = publicKeyProblem(key)
  if (problem !== undefined) {
    throw new Error(problem)
  }
  return key
}

/**
 * Reads what a key repository function returned: an SPKI PEM string or a public `KeyObject`.
 *
 * @throws {Error} whose message explains why the value is not a usable public key.
 */
export function toPublicKey(value: unknown): KeyObject {
  if (typeof value === 'string') {
    return parsePublicKeyPem(value)
  }
  if (value instanceof KeyObject) {
    const problem = publicKeyProblem(value)
    if (problem !== undefined) {
      throw new Error(problem)
    }
    return value
  }
  throw new Error(`expected an SPKI PEM string or a public KeyObject, got ${typeof value}`)
}

/**
 * Returns why `key` cannot verify a token signed with `algorithm`, or `undefined` when it can.
 */
export function keyAlgorithmMismatch(key: KeyObject, algorithm: AsapAlgorithm): string | undefined {
  const requirement = keyRequirements[algorithm]
  const keyType = key.asymmetricKeyType ?? 'unknown'

  if (!requirement.keyTypes.includes(keyType)) {
    return `the public key is a ${keyType.toUpperCase()} key, which cannot verify ${algorithm}`
  }
  const curve = key.asymmetricKeyDetails?.namedCurve
  if (requirement.namedCurve !== undefined && curve !== requirement.namedCurve) {
    return `the public key is on curve ${curve}, which cannot verify ${algorithm}`
  }
  return undefined
}
