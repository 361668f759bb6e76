/**
 * Claim parsing, merging and validation.
 *
 * @module
 */

import { AsapInvalidAudienceError, AsapInvalidClaimsError } from './errors.js'
import { quoteValue } from './quote.js'
import type { AsapClaims, Audience } from './types.js'

/** The longest lifetime, `exp` − `iat`, that ASAP verifiers accept, in seconds. */
export const MAX_LIFETIME_SECONDS = 3600

type ClaimSet = Record<string, unknown>

/** Returns true for an object whose prototype is `Object.prototype` or `null`. */
export function isPlainObject(value: unknown): value is ClaimSet {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return false
  }
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

/**
 * Describes `value` for an error message: its type, and the value itself when it is a short
 * primitive. Objects and functions are never printed.
 */
export function describeValue(value: unknown): string {
  if (value === null) {
    return 'null'
  }
  if (Array.isArray(value)) {
    return 'an array'
  }
  if (typeof value === 'function') {
    return 'a function'
  }
  return typeof value === 'object' ? 'an object' : `${typeof value} ${quoteValue(value)}`
}

/** Freezes `value` and every object inside it, and returns it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const member of Object.values(value)) {
      deepFreeze(member)
    }
    Object.freeze(value)
  }
  return value
}

function claimsError(field: string, message: string): AsapInvalidClaimsError {
  return new AsapInvalidClaimsError(message, { field })
}

/**
 * Reads additional claims given as an object or as a JSON string (the way Postman users paste
 * them) into a fresh plain object. Members whose value is `undefined` are left out, so that they
 * do not replace a claim with nothing.
 *
 * @throws {AsapInvalidClaimsError} when the value is not a JSON object.
 */
export function parseClaims(value: unknown, field: string): ClaimSet {
  let claims = value
  if (typeof value === 'string') {
    const text = value.trim()
    if (text === '') {
      return {}
    }
    try {
      claims = JSON.parse(text)
    } catch (cause) {
      throw new AsapInvalidClaimsError(
        `The ${field} string is not valid JSON. Give a JSON object such as {"tenant":"acme"}.`,
        { field, cause },
      )
    }
  }
  if (!isPlainObject(claims)) {
    throw claimsError(
      field,
      `The ${field} must be a JSON object, got ${describeValue(claims)}. Give an object such as {"tenant":"acme"}.`,
    )
  }
  // Object.fromEntries defines properties, so a "__proto__" member stays a plain claim.
  return Object.fromEntries(Object.entries(claims).filter(([, claim]) => claim !== undefined))
}

/**
 * Returns the error for claims that `JSON.stringify` rejected with `cause`. Its message names
 * only the type or the property, never a value.
 */
export function unserialisableClaimsError(field: string, cause: unknown): AsapInvalidClaimsError {
  return new AsapInvalidClaimsError(
    `The ${field} cannot be serialised as JSON (${(cause as Error)?.message}). ` +
      'Use only strings, numbers, booleans, null, arrays and plain objects.',
    { field, cause },
  )
}

/**
 * Returns a frozen deep copy of `claims` as JSON writes them: a `Date` becomes its ISO text, a
 * `toJSON` method and a getter are called once, and `undefined` members are left out.
 *
 * @throws {AsapInvalidClaimsError} for a `BigInt`, a cycle, or a `toJSON` method that throws.
 */
export function frozenJsonCopy(claims: ClaimSet, field: string): Readonly<ClaimSet> {
  let text: string
  try {
    text = JSON.stringify(claims)
  } catch (cause) {
    throw unserialisableClaimsError(field, cause)
  }
  return deepFreeze(JSON.parse(text) as ClaimSet)
}

function checkNonEmptyString(claims: ClaimSet, name: string, field: string): void {
  const value = claims[name]
  if (value !== undefined && (typeof value !== 'string' || value === '')) {
    throw claimsError(
      `${field}.${name}`,
      `The "${name}" claim in ${field} must be a non-empty string, got ${describeValue(value)}.`,
    )
  }
}

function checkNumericDate(claims: ClaimSet, name: string, field: string): void {
  const value = claims[name]
  if (value !== undefined && !Number.isSafeInteger(value)) {
    throw claimsError(
      `${field}.${name}`,
      `The "${name}" claim in ${field} must be a whole number of seconds since the Unix epoch, got ${describeValue(value)}.`,
    )
  }
}

/** Returns true when `value` is a non-empty string or a non-empty array of non-empty strings. */
export function isAudienceValue(value: unknown): value is string | string[] {
  return (
    (typeof value === 'string' && value !== '') ||
    (Array.isArray(value) &&
      value.length > 0 &&
      value.every((item) => typeof item === 'string' && item !== ''))
  )
}

function checkAudienceClaim(claims: ClaimSet, field: string): void {
  const value = claims.aud
  if (value !== undefined && !isAudienceValue(value)) {
    throw claimsError(
      `${field}.aud`,
      `The "aud" claim in ${field} must be a non-empty string or a non-empty array of non-empty strings, got ${describeValue(value)}.`,
    )
  }
}

/**
 * Checks the types of the registered claims that a claim set gives.
 *
 * @throws {AsapInvalidClaimsError}
 */
export function checkClaimTypes(claims: ClaimSet, field: string): void {
  checkNonEmptyString(claims, 'iss', field)
  checkNonEmptyString(claims, 'sub', field)
  checkNonEmptyString(claims, 'jti', field)
  checkAudienceClaim(claims, field)
  checkNumericDate(claims, 'iat', field)
  checkNumericDate(claims, 'nbf', field)
  checkNumericDate(claims, 'exp', field)
}

/**
 * Checks the time claims of a complete claim set against the ASAP rules: `exp` after `iat`,
 * a lifetime of at most one hour, an `iat` and `nbf` that are not ahead of `nowSeconds`, and an
 * `exp` after it, so the token is valid when issued.
 *
 * @throws {AsapInvalidClaimsError}
 */
export function checkTimeClaims(claims: AsapClaims, nowSeconds: number): void {
  const lifetime = claims.exp - claims.iat
  if (lifetime <= 0) {
    throw claimsError(
      'exp',
      `The token would expire before it is issued (iat ${claims.iat}, exp ${claims.exp}). Remove "exp" from the claims or set it after "iat".`,
    )
  }
  if (lifetime > MAX_LIFETIME_SECONDS) {
    throw claimsError(
      'exp',
      `The token lifetime exp - iat is ${lifetime} s, but ASAP verifiers reject tokens that live more than ${MAX_LIFETIME_SECONDS} s. Remove "exp" from the claims or shorten it.`,
    )
  }
  if (claims.iat > nowSeconds) {
    throw claimsError(
      'iat',
      `The "iat" claim ${claims.iat} is ahead of the current time ${nowSeconds}, and ASAP verifiers reject tokens issued in the future. Remove "iat" from the claims.`,
    )
  }
  if (claims.exp <= nowSeconds) {
    throw claimsError(
      'exp',
      `The "exp" claim ${claims.exp} is not after the current time ${nowSeconds}, so the token would be expired when issued. Remove "exp" from the claims or set it later.`,
    )
  }
  if (claims.nbf !== undefined && claims.nbf > nowSeconds) {
    throw claimsError(
      'nbf',
      `The "nbf" claim ${claims.nbf} is ahead of the current time ${nowSeconds}, so the token would not be valid yet when issued. Remove "nbf" from the claims.`,
    )
  }
}

/** Returns the error for a token that would have no audience. */
export function missingAudienceError(): AsapInvalidAudienceError {
  return new AsapInvalidAudienceError(
    "Missing audience: pass the receiving service's identifier to sign(), or set the audience option.",
    { field: 'audience' },
  )
}

/**
 * Normalises an audience: trims nothing, drops duplicates, and turns a one-element list into a
 * string, as the `aud` claim is written. A list is always a new array.
 *
 * @throws {AsapInvalidAudienceError} when the audience is missing, empty or not made of strings.
 */
export function normalizeAudience(audience: Audience | undefined): string | string[] {
  if (audience === undefined) {
    throw missingAudienceError()
  }
  if (typeof audience === 'string' && audience !== '') {
    return audience
  }
  if (
    Array.isArray(audience) &&
    audience.length > 0 &&
    audience.every((item) => typeof item === 'string' && item !== '')
  ) {
    const unique = [...new Set<string>(audience)]
    return unique.length === 1 ? unique[0]! : unique
  }
  throw new AsapInvalidAudienceError(
    `Invalid audience ${quoteValue(audience)}: give the receiving service's identifier as a non-empty string, or a non-empty list of them.`,
    { field: 'audience' },
  )
}
