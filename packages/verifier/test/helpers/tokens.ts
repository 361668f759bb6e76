/**
 * Hand-made ASAP tokens for tests, with full control over the header and the claims.
 *
 * @module
 */

import { type KeyObject, randomUUID, sign } from 'node:crypto'
import { SignJWT } from 'jose'

/** A clock whose time the test sets, in milliseconds since the Unix epoch. */
export interface TestClock {
  now(): number
  /** Moves the clock forward by `seconds`. */
  advance(seconds: number): void
}

/** A fixed start time far from 0: 2025-01-01T00:00:00Z. */
export const START_TIME = Date.UTC(2025, 0, 1)

/** Creates a {@link TestClock} at `start`. */
export function createTestClock(start = START_TIME): TestClock {
  let now = start
  return {
    now: () => now,
    advance: (seconds) => {
      now += seconds * 1000
    },
  }
}

/** The claims of a valid token issued by `billing` for `invoices` at `nowMs`, living 10 minutes. */
export function validClaims(nowMs: number): Record<string, unknown> {
  const iat = Math.floor(nowMs / 1000) - 5
  return {
    iss: 'billing',
    sub: 'billing',
    aud: 'invoices',
    iat,
    nbf: iat,
    exp: iat + 600,
    jti: randomUUID(),
  }
}

/** Options of {@link makeToken}. */
export interface TokenParts {
  /** The private key, matching `header.alg`. */
  privateKey: KeyObject | Uint8Array
  /** Header parameters. Defaults: `alg: 'RS256'`, `kid: 'billing/key-1'`, `typ: 'JWT'`. */
  header?: Record<string, unknown>
  /** Claims to merge over {@link validClaims}. A value of `undefined` removes the claim. */
  claims?: Record<string, unknown>
  /** The time the default claims are based on, in milliseconds. */
  now: number
}

/** Builds the payload of {@link TokenParts}: the valid claims with the changes applied. */
export function buildClaims(parts: Pick<TokenParts, 'claims' | 'now'>): Record<string, unknown> {
  const claims: Record<string, unknown> = { ...validClaims(parts.now), ...parts.claims }
  for (const [name, value] of Object.entries(claims)) {
    if (value === undefined) {
      delete claims[name]
    }
  }
  return claims
}

/** Signs a token with jose's SignJWT, which checks that the key fits the algorithm. */
export async function makeToken(parts: TokenParts): Promise<string> {
  const header = { alg: 'RS256', kid: 'billing/key-1', typ: 'JWT', ...parts.header }
  return new SignJWT(buildClaims(parts))
    .setProtectedHeader(header as { alg: string })
    .sign(parts.privateKey)
}

const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')

/**
 * Signs any header and payload with RS256 through node:crypto, without the checks jose applies,
 * so a test can put parameters such as `crit` in the header.
 */
export function makeRawRs256Token(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  privateKey: KeyObject,
): string {
  const signingInput = `${encode(header)}.${encode(payload)}`
  const signature = sign('sha256', Buffer.from(signingInput), privateKey).toString('base64url')
  return `${signingInput}.${signature}`
}

/** Builds an unsigned token with `alg: none` and an empty signature part. */
export function makeUnsecuredToken(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
): string {
  return `${encode({ alg: 'none', ...header })}.${encode(payload)}.`
}

/** Joins already encoded parts, for tokens that are malformed on purpose. */
export function joinParts(header: unknown, payload: unknown, signature = 'c2lnbmF0dXJl'): string {
  return `${encode(header)}.${encode(payload)}.${signature}`
}
