/**
 * The nine ASAP algorithms and the keys each one needs.
 *
 * @module
 */

import { constants, type KeyObject, type SignKeyObjectInput } from 'node:crypto'
import { AsapUnsupportedAlgorithmError } from './errors.js'
import { quoteValue } from './quote.js'
import type { AsapAlgorithm } from './types.js'

/** The requirements an algorithm sets for its key, and how `node:crypto` signs with it. */
export interface AlgorithmDescriptor {
  readonly name: AsapAlgorithm
  /** Accepted `KeyObject.asymmetricKeyType` values. */
  readonly keyTypes: readonly string[]
  /** Required `namedCurve` for EC keys, as Node reports it. */
  readonly namedCurve?: string
  /** Standard name of the curve, for messages. */
  readonly curveName?: string
  /** Minimum RSA modulus length in bits. */
  readonly minRsaBits?: number
  /** The digest `node:crypto` signs with. */
  readonly hash: 'sha256' | 'sha384' | 'sha512'
  /** The signature scheme, which decides the padding or the signature encoding. */
  readonly scheme: 'pkcs1' | 'pss' | 'ecdsa'
}

const rsa = (name: AsapAlgorithm, hash: AlgorithmDescriptor['hash']): AlgorithmDescriptor => ({
  name,
  keyTypes: ['rsa'],
  minRsaBits: 2048,
  hash,
  scheme: 'pkcs1',
})

const rsaPss = (name: AsapAlgorithm, hash: AlgorithmDescriptor['hash']): AlgorithmDescriptor => ({
  name,
  keyTypes: ['rsa', 'rsa-pss'],
  minRsaBits: 2048,
  hash,
  scheme: 'pss',
})

const ec = (
  name: AsapAlgorithm,
  hash: AlgorithmDescriptor['hash'],
  namedCurve: string,
  curveName: string,
): AlgorithmDescriptor => ({
  name,
  keyTypes: ['ec'],
  namedCurve,
  curveName,
  hash,
  scheme: 'ecdsa',
})

/** Descriptor of every ASAP algorithm, by name. */
export const algorithms: Readonly<Record<AsapAlgorithm, AlgorithmDescriptor>> = {
  RS256: rsa('RS256', 'sha256'),
  RS384: rsa('RS384', 'sha384'),
  RS512: rsa('RS512', 'sha512'),
  PS256: rsaPss('PS256', 'sha256'),
  PS384: rsaPss('PS384', 'sha384'),
  PS512: rsaPss('PS512', 'sha512'),
  ES256: ec('ES256', 'sha256', 'prime256v1', 'P-256'),
  ES384: ec('ES384', 'sha384', 'secp384r1', 'P-384'),
  ES512: ec('ES512', 'sha512', 'secp521r1', 'P-521'),
}

const digestBytes = { sha256: 32, sha384: 48, sha512: 64 } as const

/**
 * Returns the `node:crypto` `sign()` key argument that produces a JWS signature for `descriptor`.
 * PS algorithms use PSS padding with a salt as long as the digest (RFC 7518, section 3.5). ES
 * algorithms use the fixed-length `r || s` encoding (IEEE P1363) that JWS requires.
 */
export function signKeyInput(descriptor: AlgorithmDescriptor, key: KeyObject): SignKeyObjectInput {
  switch (descriptor.scheme) {
    case 'pss':
      return {
        key,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: digestBytes[descriptor.hash],
      }
    case 'ecdsa':
      return { key, dsaEncoding: 'ieee-p1363' }
    default:
      return { key, padding: constants.RSA_PKCS1_PADDING }
  }
}

/** The nine ASAP algorithm names, in a stable order. */
export const ASAP_ALGORITHMS: readonly AsapAlgorithm[] = Object.freeze(
  Object.keys(algorithms) as AsapAlgorithm[],
)

/** Returns true when `value` names one of the nine ASAP algorithms. */
export function isAsapAlgorithm(value: unknown): value is AsapAlgorithm {
  return typeof value === 'string' && Object.hasOwn(algorithms, value)
}

/**
 * Returns the descriptor of `algorithm`.
 *
 * @throws {AsapUnsupportedAlgorithmError} for anything but the nine ASAP algorithms.
 */
export function algorithmDescriptor(algorithm: unknown, field = 'algorithm'): AlgorithmDescriptor {
  if (!isAsapAlgorithm(algorithm)) {
    const received = typeof algorithm === 'string' ? quoteValue(algorithm) : typeof algorithm
    const upper = typeof algorithm === 'string' ? algorithm.toUpperCase() : ''
    const hint = isAsapAlgorithm(upper)
      ? ` Algorithm names are case-sensitive: use "${upper}".`
      : ''
    throw new AsapUnsupportedAlgorithmError(
      `Unsupported ${field} ${received}: ASAP allows only ${ASAP_ALGORITHMS.join(', ')}.${hint}`,
      { field },
    )
  }
  return algorithms[algorithm]
}
