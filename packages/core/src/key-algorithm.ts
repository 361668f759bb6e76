/**
 * Checks that a private key can sign with an ASAP algorithm: key type, curve, size, and one test
 * signature.
 *
 * @module
 */

import { createPublicKey, type KeyObject, sign, verify } from 'node:crypto'
import { type AlgorithmDescriptor, algorithms, signKeyInput } from './algorithms.js'
import {
  AsapInvalidKeyError,
  AsapKeyAlgorithmMismatchError,
  AsapKeyTooSmallError,
} from './errors.js'

const curveNames: Readonly<Record<string, string>> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
}

/** Describes the key for a message, such as "an EC P-384 key" or "a 2048-bit RSA key". */
function describeKey(key: KeyObject): string {
  const type = key.asymmetricKeyType ?? 'unknown'
  const details = key.asymmetricKeyDetails ?? {}
  if (type === 'ec') {
    const curve = details.namedCurve ?? 'unknown'
    return `an EC ${curveNames[curve] ?? curve} key`
  }
  if (type === 'rsa' || type === 'rsa-pss') {
    const name = type === 'rsa' ? 'RSA' : 'RSA-PSS'
    return `a ${details.modulusLength ?? 'unknown'}-bit ${name} key`
  }
  return type === 'ed25519' || type === 'ed448' ? `an ${type} (EdDSA) key` : `a ${type} key`
}

/** Names the ASAP algorithms that can sign with `key`, for the fix in a message. */
function algorithmsFor(key: KeyObject): string {
  const type = key.asymmetricKeyType
  if (type === 'rsa') {
    return 'RS256, RS384, RS512, PS256, PS384 or PS512'
  }
  if (type === 'rsa-pss') {
    return 'PS256, PS384 or PS512'
  }
  const curve = key.asymmetricKeyDetails?.namedCurve
  const match = Object.values(algorithms).find((descriptor) => descriptor.namedCurve === curve)
  return match?.name ?? 'none'
}

function mismatch(key: KeyObject, descriptor: AlgorithmDescriptor, field: string): never {
  const fits = algorithmsFor(key)
  const fix =
    fits === 'none'
      ? 'ASAP signs only with RSA keys of 2048 bits or more and EC keys on P-256, P-384 or P-521: generate such a key.'
      : `Set algorithm to ${fits}, or use a key that fits ${descriptor.name}.`
  throw new AsapKeyAlgorithmMismatchError(
    `The ${field} is ${describeKey(key)}, which cannot sign ${descriptor.name}. ${fix}`,
    { field },
  )
}

/** Rejects an RSA-PSS key whose parameters restrict it to another digest than the algorithm's. */
function checkPssRestrictions(key: KeyObject, descriptor: AlgorithmDescriptor, field: string) {
  const details = key.asymmetricKeyDetails ?? {}
  const restricted = [details.hashAlgorithm, details.mgf1HashAlgorithm].filter(
    (hash) => hash !== undefined,
  )
  if (restricted.some((hash) => hash !== descriptor.hash)) {
    throw new AsapKeyAlgorithmMismatchError(
      `The ${field} is an RSA-PSS key restricted to the digest ${restricted.join('/')}, but ${descriptor.name} signs with ${descriptor.hash}. ` +
        'Use the PS algorithm of that digest, or an RSA key without PSS restrictions.',
      { field },
    )
  }
}

/**
 * Checks that `key` fits `descriptor`: the key type, the EC curve, and an RSA modulus of at least
 * 2048 bits.
 *
 * @throws {AsapKeyAlgorithmMismatchError} when the key type or curve does not fit.
 * @throws {AsapKeyTooSmallError} for an RSA key under 2048 bits.
 */
export function assertKeyFitsAlgorithm(
  key: KeyObject,
  descriptor: AlgorithmDescriptor,
  field = 'privateKey',
): void {
  const keyType = key.asymmetricKeyType ?? 'unknown'
  const details = key.asymmetricKeyDetails ?? {}

  if (!descriptor.keyTypes.includes(keyType)) {
    mismatch(key, descriptor, field)
  }
  if (descriptor.namedCurve !== undefined && details.namedCurve !== descriptor.namedCurve) {
    mismatch(key, descriptor, field)
  }
  if (keyType === 'rsa-pss') {
    checkPssRestrictions(key, descriptor, field)
  }
  if (descriptor.minRsaBits !== undefined && (details.modulusLength ?? 0) < descriptor.minRsaBits) {
    throw new AsapKeyTooSmallError(
      `The ${field} is ${describeKey(key)}, but ASAP requires at least ${descriptor.minRsaBits} bits. ` +
        'Generate a new key, for example with: openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048',
      { field },
    )
  }
}

const PROBE = Buffer.from('asap-auth key check')

/**
 * Signs a fixed message with `key` and verifies the signature with the public key derived from
 * it. This catches keys that import but cannot sign, such as a JWK whose private and public
 * members do not belong together.
 *
 * @throws {AsapInvalidKeyError} when the test signature fails or does not verify.
 */
export function assertKeySigns(
  key: KeyObject,
  descriptor: AlgorithmDescriptor,
  field = 'privateKey',
): void {
  let valid: boolean
  try {
    const signature = sign(descriptor.hash, PROBE, signKeyInput(descriptor, key))
    const publicKey = signKeyInput(descriptor, createPublicKey(key))
    valid = verify(descriptor.hash, PROBE, publicKey, signature)
  } catch (cause) {
    const code = (cause as { code?: unknown } | null)?.code
    throw new AsapInvalidKeyError(
      `The ${field} could not make a test ${descriptor.name} signature${typeof code === 'string' ? ` (${code})` : ''}. ` +
        'The key is damaged or unusable: export it again from its source.',
      { field },
    )
  }
  if (!valid) {
    throw new AsapInvalidKeyError(
      `The ${field} made a ${descriptor.name} signature that its own public key rejects, so its private and public parts do not belong together. ` +
        'Export the key again from its source.',
      { field },
    )
  }
}
