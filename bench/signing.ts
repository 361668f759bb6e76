/**
 * Part 2: signing throughput per algorithm, our signer against signing the way simpler
 * libraries do, with the key imported on every call.
 *
 * @module
 */

import { randomUUID, type webcrypto } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { ASAP_ALGORITHMS, type AsapAlgorithm, createSigner } from '@asap-auth/core'
import jsonwebtoken from 'jsonwebtoken'
import { installedJose } from './environment.js'
import { AUDIENCE, ISSUER, KEY_ID, type KeySet, signerOptions } from './fixtures.js'
import { type MeasureBudget, nsPerCall } from './measure.js'
import { type Summary, toRate } from './stats.js'

/** The part of jose's API this benchmark calls. */
interface Jose {
  importPKCS8(pem: string, alg: string): Promise<webcrypto.CryptoKey>
  SignJWT: new (
    payload: Record<string, unknown>,
  ) => {
    setProtectedHeader(header: Record<string, string>): {
      sign(key: webcrypto.CryptoKey): Promise<string>
    }
  }
}

/** Tokens per second of one algorithm, for each way of signing. */
export interface SigningRow {
  readonly algorithm: AsapAlgorithm
  /** `createSigner(...).sign(audience)`, key imported once. */
  readonly ours: Summary
  /** jose `importPKCS8` and `SignJWT#sign` on every call. */
  readonly jose: Summary
  /** `jsonwebtoken.sign` with the PEM string on every call. */
  readonly jsonwebtoken: Summary
  /** Time per token of our signer, in nanoseconds. */
  readonly oursNs: Summary
}

/** Results of part 2. */
export interface SigningResult {
  readonly rows: readonly SigningRow[]
}

/** Returns the claims our signer writes, with a new `jti`, for the libraries given a payload. */
function claims(): Record<string, unknown> {
  const iat = Math.floor(Date.now() / 1000) - 5
  return {
    iss: ISSUER,
    sub: ISSUER,
    aud: AUDIENCE,
    iat,
    nbf: iat,
    exp: iat + 3600,
    jti: randomUUID(),
  }
}

/**
 * Measures the signing throughput of each of the nine algorithms, in tokens per second, three
 * ways. All three write the same header (`alg`, `kid`, `typ`) and the same claims, with a fresh
 * `jti` per token.
 */
export async function benchSigning(keys: KeySet, budget: MeasureBudget): Promise<SigningResult> {
  const jose = (await import(pathToFileURL(installedJose().entry).href)) as Jose
  const rows: SigningRow[] = []

  for (const algorithm of ASAP_ALGORITHMS) {
    const pem = keys[algorithm]
    const header = { alg: algorithm, kid: KEY_ID, typ: 'JWT' }
    const signer = createSigner(signerOptions(keys, algorithm))

    const oursNs = await nsPerCall(() => signer.sign(AUDIENCE), budget)
    const joseNs = await nsPerCall(async () => {
      const key = await jose.importPKCS8(pem, algorithm)
      return new jose.SignJWT(claims()).setProtectedHeader(header).sign(key)
    }, budget)
    const jsonwebtokenNs = await nsPerCall(
      () => jsonwebtoken.sign(claims(), pem, { algorithm, keyid: KEY_ID }),
      budget,
    )

    rows.push({
      algorithm,
      ours: toRate(oursNs, 1e9),
      jose: toRate(joseNs, 1e9),
      jsonwebtoken: toRate(jsonwebtokenNs, 1e9),
      oursNs,
    })
  }
  return { rows }
}
