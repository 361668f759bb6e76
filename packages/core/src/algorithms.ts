/**
 * The nine ASAP algorithms and the keys each one needs.
 *
 * @module
 */

import { AsapUnsupportedAlgorithmError } from './errors.js'
import type { AsapAlgorithm } from './types.js'

/** What an algorithm requires of its key. */
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
}

const rsa = (name: AsapAlgorithm): AlgorithmDescriptor => ({
  name,
  keyTypes: ['rsa'],
  minRsaBits: 2048,
})

const rsaPss = (name: AsapAlgorithm): AlgorithmDescriptor => ({
  name,
  keyTypes: ['rsa', 'rsa-pss'],
  minRsaBits: 2048,
})

const ec = (name: AsapAlgorithm, namedCurve: string, curveName: string): AlgorithmDescriptor => ({
  name,
  keyTypes: ['ec'],
  namedCurve,
  curveName,
})

/** Descriptor of every ASAP algorithm, by name. */
export const algorithms: Readonly<Record<AsapAlgorithm, AlgorithmDescriptor>> = {
  RS256: rsa('RS256'),
  RS384: rsa('RS384'),
  RS512: rsa('RS512'),
  PS256: rsaPss('PS256'),
  PS384: rsaPss('PS384'),
  PS512: rsaPss('PS512'),
  ES256: ec('ES256', 'prime256v1', 'P-256'),
  ES384: ec('ES384', 'secp384r1', 'P-384'),
  ES512: ec('ES512', 'secp521r1', 'P-521'),
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
    throw new AsapUnsupportedAlgorithmError(
      `Unsupported ${field} ${JSON.stringify(algorithm)}: ASAP allows only ${ASAP_ALGORITHMS.join(', ')}.`,
      { field },
    )
  }
  return algorithms[algorithm]
}
