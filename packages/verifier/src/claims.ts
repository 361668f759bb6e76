/**
 * Step 5 of verification: the claim checks, in the order the protocol lists them. Replay
 * protection, the last check, lives in `replay.ts`.
 *
 * @module
 */

import { type AsapClaims, isKeyIdOwnedBy } from '@asap-auth/core'
import { quote } from './debug.js'
import {
  AsapVerificationError,
  type AsapVerificationErrorCode,
  ASAP_VERIFICATION_ERROR_CODES as codes,
} from './errors.js'

/** Rules the claims of a token must satisfy. */
export interface ClaimRules {
  /** Accepted audiences: the token's `aud` must contain one of them. */
  readonly audiences: ReadonlySet<string>
  /** Clock skew allowed on `iat`, `nbf` and `exp`, in seconds. */
  readonly leeway: number
  /** Longest accepted `exp` − `iat`, in seconds. */
  readonly maxLifetime: number
  /** Reject a `sub` that differs from `iss`. */
  readonly subjectMustMatchIssuer: boolean
  /** Accepted issuers, or `undefined` to accept every issuer. */
  readonly allowedIssuers: ReadonlySet<string> | undefined
}

const requiredClaims = ['iss', 'exp', 'iat', 'aud', 'jti'] as const

/** The token's key ID, and its issuer once the claim types are checked, for error details. */
interface TokenContext {
  readonly keyId: string
  readonly issuer?: string
}

function fail(
  code: AsapVerificationErrorCode,
  message: string,
  context: TokenContext,
  field: string,
): AsapVerificationError {
  return new AsapVerificationError(code, message, { field, ...context })
}

function checkRequiredClaims(payload: Record<string, unknown>, context: TokenContext): void {
  const missing = requiredClaims.filter((name) => payload[name] === undefined)
  if (missing.length > 0) {
    throw fail(
      codes.CLAIM_MISSING,
      `The token has no ${missing.join(', ')} claim${missing.length === 1 ? '' : 's'}: ASAP tokens must carry iss, exp, iat, aud and jti.`,
      context,
      missing[0]!,
    )
  }
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value !== ''
}

function isAudienceClaim(value: unknown): value is string | string[] {
  return (
    isNonEmptyString(value) ||
    (Array.isArray(value) && value.length > 0 && value.every(isNonEmptyString))
  )
}

function invalidClaim(name: string, expected: string, value: unknown, context: TokenContext) {
  return fail(
    codes.CLAIM_INVALID,
    `The token's ${name} claim must be ${expected}, got ${quote(value)}.`,
    context,
    name,
  )
}

function checkClaimTypes(payload: Record<string, unknown>, context: TokenContext): AsapClaims {
  for (const name of ['iss', 'jti'] as const) {
    if (!isNonEmptyString(payload[name])) {
      throw invalidClaim(name, 'a non-empty string', payload[name], context)
    }
  }
  if (payload.sub !== undefined && !isNonEmptyString(payload.sub)) {
    throw invalidClaim('sub', 'a non-empty string when present', payload.sub, context)
  }
  if (!isAudienceClaim(payload.aud)) {
    throw invalidClaim(
      'aud',
      'a non-empty string or a non-empty array of them',
      payload.aud,
      context,
    )
  }
  for (const name of ['iat', 'exp', 'nbf'] as const) {
    const value = payload[name]
    if (value !== undefined && !Number.isFinite(value)) {
      throw invalidClaim(name, 'a number of seconds since the Unix epoch', value, context)
    }
  }

  const claims = payload as AsapClaims
  if (claims.exp <= claims.iat) {
    throw fail(
      codes.CLAIM_INVALID,
      `The token's exp ${claims.exp} is not after its iat ${claims.iat}.`,
      context,
      'exp',
    )
  }
  return claims
}

function checkAudience(claims: AsapClaims, rules: ClaimRules, context: TokenContext): void {
  const values = typeof claims.aud === 'string' ? [claims.aud] : claims.aud
  if (!values.some((value) => rules.audiences.has(value))) {
    throw fail(
      codes.AUDIENCE_MISMATCH,
      `The token's aud ${quote(claims.aud)} does not contain this service's audience ${quote([...rules.audiences])}.`,
      context,
      'aud',
    )
  }
}

function checkTimes(
  claims: AsapClaims,
  rules: ClaimRules,
  nowSeconds: number,
  context: TokenContext,
): void {
  const latestStart = nowSeconds + rules.leeway
  const now = Math.floor(nowSeconds)

  if (claims.iat > latestStart) {
    throw fail(
      codes.TOKEN_ISSUED_IN_FUTURE,
      `The token's iat ${claims.iat} is ahead of the current time ${now} by more than the leeway of ${rules.leeway} s. Check the issuer's clock.`,
      context,
      'iat',
    )
  }
  if (claims.nbf !== undefined && claims.nbf > latestStart) {
    throw fail(
      codes.TOKEN_NOT_YET_VALID,
      `The token is not valid before ${claims.nbf} (nbf), and the current time is ${now} with a leeway of ${rules.leeway} s.`,
      context,
      'nbf',
    )
  }
  if (nowSeconds > claims.exp + rules.leeway) {
    throw fail(
      codes.TOKEN_EXPIRED,
      `The token expired at ${claims.exp} (exp), and the current time is ${now} with a leeway of ${rules.leeway} s.`,
      context,
      'exp',
    )
  }

  const lifetime = claims.exp - claims.iat
  if (lifetime > rules.maxLifetime) {
    throw fail(
      codes.TOKEN_LIFETIME_EXCEEDED,
      `The token's lifetime exp - iat is ${lifetime} s, over the maximum of ${rules.maxLifetime} s.`,
      context,
      'exp',
    )
  }
}

/**
 * Checks the claims of a token whose signature has been verified. The checks run in this order:
 * required claims present and well-typed, `kid` owned by `iss`, and an accepted audience in `aud`.
 * Then `iat`, `nbf` and `exp` against the clock, the lifetime, `sub` against `iss`, and last the
 * issuer allow list.
 *
 * @param nowSeconds the current time in seconds since the Unix epoch, possibly fractional.
 * @throws {AsapVerificationError} with the code of the first check that fails.
 */
export function checkClaims(
  payload: Record<string, unknown>,
  keyId: string,
  rules: ClaimRules,
  nowSeconds: number,
): AsapClaims {
  checkRequiredClaims(payload, { keyId })
  const claims = checkClaimTypes(payload, { keyId })
  const context: TokenContext = { keyId, issuer: claims.iss }

  if (!isKeyIdOwnedBy(keyId, claims.iss)) {
    throw fail(
      codes.KEY_ID_NOT_OWNED,
      `The token's kid ${quote(keyId)} is not owned by its issuer ${quote(claims.iss)}: the key ID must start with ${quote(`${claims.iss}/`)}.`,
      context,
      'kid',
    )
  }
  checkAudience(claims, rules, context)
  checkTimes(claims, rules, nowSeconds, context)

  if (rules.subjectMustMatchIssuer && claims.sub !== undefined && claims.sub !== claims.iss) {
    throw fail(
      codes.SUBJECT_MISMATCH,
      `The token's sub ${quote(claims.sub)} differs from its iss ${quote(claims.iss)}. Set subjectMustMatchIssuer to false to accept tokens issued on behalf of another principal.`,
      context,
      'sub',
    )
  }
  if (rules.allowedIssuers !== undefined && !rules.allowedIssuers.has(claims.iss)) {
    throw fail(
      codes.ISSUER_NOT_ALLOWED,
      `The issuer ${quote(claims.iss)} is not allowed: this service accepts tokens only from ${quote([...rules.allowedIssuers])}.`,
      context,
      'iss',
    )
  }
  return claims
}
