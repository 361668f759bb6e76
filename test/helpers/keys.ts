/**
 * Test keys for every ASAP algorithm, generated with `node:crypto` and exported in every form the
 * signer accepts and the verifier serves.
 *
 * Keys are generated once per algorithm and label in each test process and then cached, so a test
 * file may call {@link generateKeys} as often as it likes.
 *
 * @example Sign with an ES256 data-URI key and verify with the public key
 * ```ts
 * const keys = generateKeys('ES256')
 * const signer = createSigner({ issuer: 'billing', privateKey: keys.dataUri('billing/key-1'), algorithm: 'ES256' })
 * await jwtVerify(await signer.sign('invoices'), keys.publicKey)
 * ```
 *
 * @module
 */

import { generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto'
import type { AsapAlgorithm } from '@asap-auth/core'

/** The nine ASAP algorithms, in the order tests loop over them. */
export const ALL_ALGORITHMS: readonly AsapAlgorithm[] = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
]

/** Node's name of the EC curve each ES algorithm needs. */
export const CURVE_OF: Readonly<Record<string, string>> = {
  ES256: 'prime256v1',
  ES384: 'secp384r1',
  ES512: 'secp521r1',
}

/** A private key and its public key, in every form the ASAP packages read or serve. */
export interface TestKeys {
  /** The algorithm the key was generated for. */
  readonly algorithm: AsapAlgorithm
  /** `rsa` or `ec`. */
  readonly keyType: 'rsa' | 'ec'
  readonly privateKey: KeyObject
  readonly publicKey: KeyObject
  /** `-----BEGIN PRIVATE KEY-----` PEM. */
  readonly pkcs8Pem: string
  /** `-----BEGIN PUBLIC KEY-----` PEM, the form a key repository serves. */
  readonly spkiPem: string
  /** `-----BEGIN RSA PRIVATE KEY-----` PEM, for RSA keys only. */
  readonly pkcs1Pem: string | undefined
  /** `-----BEGIN EC PRIVATE KEY-----` PEM, for EC keys only. */
  readonly sec1Pem: string | undefined
  /** The PKCS#1 PEM of an RSA key or the SEC1 PEM of an EC key. */
  readonly traditionalPem: string
  /** PKCS#8 DER bytes. */
  readonly pkcs8Der: Buffer
  /** Standard Base64 of the PKCS#8 DER, on one line, without armour. */
  readonly pkcs8DerBase64: string
  /** URL-safe Base64 (RFC 4648 §5, no padding) of the PKCS#8 DER. */
  readonly pkcs8DerBase64Url: string
  /** SPKI DER bytes of the public key. */
  readonly spkiDer: Buffer
  /** The private key as a JWK object (with `d`). */
  readonly jwk: JsonWebKey
  /** The public key as a JWK object. */
  readonly publicJwk: JsonWebKey
  /**
   * Returns the data URI `data:application/pkcs8;kid=<kid>;base64,<PKCS#8 DER>` with the kid
   * percent-encoded by `encodeURIComponent` (so `/` becomes `%2F` and `+` becomes `%2B`).
   */
  dataUri(kid: string): string
}

const cache = new Map<string, TestKeys>()

function generatePair(algorithm: AsapAlgorithm): { privateKey: KeyObject; publicKey: KeyObject } {
  const curve = CURVE_OF[algorithm]
  if (curve !== undefined) {
    return generateKeyPairSync('ec', { namedCurve: curve })
  }
  return generateKeyPairSync('rsa', { modulusLength: 2048 })
}

/** Exports a key pair in every form of {@link TestKeys}. */
export function describeKeyPair(
  algorithm: AsapAlgorithm,
  privateKey: KeyObject,
  publicKey: KeyObject,
): TestKeys {
  const keyType = privateKey.asymmetricKeyType === 'ec' ? 'ec' : 'rsa'
  const pkcs1Pem =
    keyType === 'rsa' ? String(privateKey.export({ type: 'pkcs1', format: 'pem' })) : undefined
  const sec1Pem =
    keyType === 'ec' ? String(privateKey.export({ type: 'sec1', format: 'pem' })) : undefined
  const pkcs8Der = privateKey.export({ type: 'pkcs8', format: 'der' })
  const pkcs8DerBase64 = pkcs8Der.toString('base64')

  return Object.freeze({
    algorithm,
    keyType,
    privateKey,
    publicKey,
    pkcs8Pem: String(privateKey.export({ type: 'pkcs8', format: 'pem' })),
    spkiPem: String(publicKey.export({ type: 'spki', format: 'pem' })),
    pkcs1Pem,
    sec1Pem,
    traditionalPem: (pkcs1Pem ?? sec1Pem)!,
    pkcs8Der,
    pkcs8DerBase64,
    pkcs8DerBase64Url: pkcs8Der.toString('base64url'),
    spkiDer: publicKey.export({ type: 'spki', format: 'der' }),
    jwk: privateKey.export({ format: 'jwk' }),
    publicJwk: publicKey.export({ format: 'jwk' }),
    dataUri: (kid: string) =>
      `data:application/pkcs8;kid=${encodeURIComponent(kid)};base64,${pkcs8DerBase64}`,
  })
}

/**
 * Returns a key pair for `algorithm`: RSA 2048 bits for RS and PS, P-256, P-384 or P-521 for ES.
 * The same `algorithm` and `label` return the same cached keys within one test process. Pass a
 * new `label` to get a second, different key for the same algorithm, for example to test key
 * rotation or a signature made with the wrong key.
 */
export function generateKeys(algorithm: AsapAlgorithm, label = 'default'): TestKeys {
  const cacheKey = `${algorithm}:${label}`
  const cached = cache.get(cacheKey)
  if (cached !== undefined) {
    return cached
  }

  const { privateKey, publicKey } = generatePair(algorithm)
  const keys = describeKeyPair(algorithm, privateKey, publicKey)
  cache.set(cacheKey, keys)
  return keys
}

/**
 * Returns an RSA key pair of `bits` bits, in every form of {@link TestKeys}, labelled with
 * `algorithm`. Use it for keys ASAP rejects, such as a 1024-bit key. Cached per size.
 */
export function generateRsaKeys(bits: number, algorithm: AsapAlgorithm = 'RS256'): TestKeys {
  const cacheKey = `rsa-${bits}:${algorithm}`
  const cached = cache.get(cacheKey)
  if (cached !== undefined) {
    return cached
  }

  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits })
  const keys = describeKeyPair(algorithm, privateKey, publicKey)
  cache.set(cacheKey, keys)
  return keys
}

const RUN_LENGTH = 16
const materialRuns = new WeakMap<TestKeys, Set<string>>()

function pemBody(pem: string | undefined): string {
  return (pem ?? '').replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '')
}

/** Collects every run of 16 characters of the private key's PEM, Base64 and JWK text. */
function keyMaterialRuns(keys: TestKeys): Set<string> {
  const cached = materialRuns.get(keys)
  if (cached !== undefined) {
    return cached
  }

  const jwk = keys.jwk as Record<string, unknown>
  const privateMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi'].map((name) => jwk[name])
  const sources = [
    pemBody(keys.pkcs8Pem),
    pemBody(keys.traditionalPem),
    keys.pkcs8DerBase64,
    keys.pkcs8DerBase64Url,
    ...privateMembers.filter((member): member is string => typeof member === 'string'),
  ]
  const runs = new Set<string>()
  for (const source of sources) {
    for (let start = 0; start + RUN_LENGTH <= source.length; start++) {
      runs.add(source.slice(start, start + RUN_LENGTH))
    }
  }
  materialRuns.set(keys, runs)
  return runs
}

/**
 * Returns the first run of 16 characters of `keys`' private key material (the PKCS#8, PKCS#1 or
 * SEC1 body, its Base64 and Base64url DER, or a private JWK member) found in `text`, or
 * `undefined` when there is none. Use it on error messages, log lines and `util.inspect` output.
 */
export function findKeyMaterial(text: string, keys: TestKeys): string | undefined {
  const runs = keyMaterialRuns(keys)
  for (let start = 0; start + RUN_LENGTH <= text.length; start++) {
    const run = text.slice(start, start + RUN_LENGTH)
    if (runs.has(run)) {
      return run
    }
  }
  return undefined
}
