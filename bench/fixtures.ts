/**
 * Keys and signer settings shared by the benchmarks. Keys are generated fresh on every run.
 *
 * @module
 */

import { generateKeyPairSync } from 'node:crypto'
import type { AsapAlgorithm, SignerOptions } from '@asap-auth/core'

/** The issuer of every benchmark token. */
export const ISSUER = 'bench-client'

/** The key ID of every benchmark token; it starts with `<issuer>/` as ASAP requires. */
export const KEY_ID = `${ISSUER}/key-1`

/** The audience of benchmark tokens when a benchmark needs only one. */
export const AUDIENCE = 'bench-server'

/** A PKCS#8 PEM private key for each algorithm. */
export type KeySet = Readonly<Record<AsapAlgorithm, string>>

function pkcs8(type: 'rsa' | 'ec', namedCurve?: string): string {
  const { privateKey } =
    type === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: namedCurve! })
  return privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
}

/**
 * Generates one 2048-bit RSA key, shared by the six RS and PS algorithms, and one EC key per
 * curve: P-256 for ES256, P-384 for ES384 and P-521 for ES512.
 */
export function generateKeys(): KeySet {
  const rsa = pkcs8('rsa')
  return {
    RS256: rsa,
    RS384: rsa,
    RS512: rsa,
    PS256: rsa,
    PS384: rsa,
    PS512: rsa,
    ES256: pkcs8('ec', 'P-256'),
    ES384: pkcs8('ec', 'P-384'),
    ES512: pkcs8('ec', 'P-521'),
  }
}

/** Returns the signer options for `algorithm`, signing with its key from `keys`. */
export function signerOptions(keys: KeySet, algorithm: AsapAlgorithm): SignerOptions {
  return { issuer: ISSUER, keyId: KEY_ID, privateKey: keys[algorithm], algorithm }
}
