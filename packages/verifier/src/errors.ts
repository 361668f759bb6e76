/**
 * The error every failed verification rejects with, and its codes.
 *
 * @module
 */

import { AsapError, type AsapErrorOptions, isAsapError } from '@asap-auth/core'

/**
 * Every `code` of an {@link AsapVerificationError}, by short name. Compare `error.code` with these
 * instead of writing the strings out.
 */
export const ASAP_VERIFICATION_ERROR_CODES = Object.freeze({
  /** No `Authorization` header, or an empty one. */
  TOKEN_MISSING: 'ERR_ASAP_TOKEN_MISSING',
  /** The `Authorization` header has no scheme, or another scheme than `Bearer`, such as `Basic`. */
  AUTHORIZATION_SCHEME_UNSUPPORTED: 'ERR_ASAP_AUTHORIZATION_SCHEME_UNSUPPORTED',
  /**
   * The header is not `Bearer <token>`, a bare token contains whitespace, or the token is not a
   * compact JWS with JSON parts.
   */
  TOKEN_MALFORMED: 'ERR_ASAP_TOKEN_MALFORMED',
  /** The `alg` header is not one of the nine ASAP algorithms (for example `HS256` or `none`). */
  ALGORITHM_NOT_ALLOWED: 'ERR_ASAP_ALGORITHM_NOT_ALLOWED',
  /** The `kid` header is missing, breaks the key ID rules, or is over 1024 characters. */
  KEY_ID_INVALID: 'ERR_ASAP_TOKEN_KEY_ID_INVALID',
  /**
   * No key repository has a public key for the `kid`, or, with `allowedIssuers`, the `kid` is
   * not under an allowed issuer and no repository was asked.
   */
  PUBLIC_KEY_NOT_FOUND: 'ERR_ASAP_PUBLIC_KEY_NOT_FOUND',
  /** The key repository responded, but not with a usable public key. */
  PUBLIC_KEY_INVALID: 'ERR_ASAP_PUBLIC_KEY_INVALID',
  /**
   * No key repository responded (connection errors, timeouts or 5xx responses), or the lookup
   * waited too long for a free slot under `maxConcurrentKeyFetches`.
   */
  KEY_REPOSITORY_UNAVAILABLE: 'ERR_ASAP_KEY_REPOSITORY_UNAVAILABLE',
  /** The signature does not match the public key, or the key does not fit `alg`. */
  SIGNATURE_INVALID: 'ERR_ASAP_SIGNATURE_INVALID',
  /** A required claim (`iss`, `exp`, `iat`, `aud` or `jti`) is missing. */
  CLAIM_MISSING: 'ERR_ASAP_CLAIM_MISSING',
  /** A claim has the wrong type, or `exp` is not after `iat`. */
  CLAIM_INVALID: 'ERR_ASAP_CLAIM_INVALID',
  /** The `kid` does not start with `<iss>/`. */
  KEY_ID_NOT_OWNED: 'ERR_ASAP_TOKEN_KEY_ID_NOT_OWNED',
  /** None of the `aud` values is an accepted audience. */
  AUDIENCE_MISMATCH: 'ERR_ASAP_AUDIENCE_MISMATCH',
  /** `exp` plus the leeway is in the past. */
  TOKEN_EXPIRED: 'ERR_ASAP_TOKEN_EXPIRED',
  /** `nbf` is later than the current time plus the leeway. */
  TOKEN_NOT_YET_VALID: 'ERR_ASAP_TOKEN_NOT_YET_VALID',
  /** `iat` is later than the current time plus the leeway. */
  TOKEN_ISSUED_IN_FUTURE: 'ERR_ASAP_TOKEN_ISSUED_IN_FUTURE',
  /** `exp` − `iat` is longer than the maximum lifetime. */
  TOKEN_LIFETIME_EXCEEDED: 'ERR_ASAP_TOKEN_LIFETIME_EXCEEDED',
  /** `sub` is present and differs from `iss`. */
  SUBJECT_MISMATCH: 'ERR_ASAP_SUBJECT_MISMATCH',
  /** The token is valid, but its issuer is not in `allowedIssuers`. Status 403. */
  ISSUER_NOT_ALLOWED: 'ERR_ASAP_ISSUER_NOT_ALLOWED',
  /** The token's `jti` was accepted before, and replay protection is on. */
  JTI_REPLAYED: 'ERR_ASAP_JTI_REPLAYED',
} as const)

/** Every `code` an {@link AsapVerificationError} can carry. */
export type AsapVerificationErrorCode =
  (typeof ASAP_VERIFICATION_ERROR_CODES)[keyof typeof ASAP_VERIFICATION_ERROR_CODES]

/** Details attached to an {@link AsapVerificationError}. */
export interface AsapVerificationErrorOptions extends AsapErrorOptions {
  /** The token's key ID, when it follows the key ID rules. */
  keyId?: string | undefined
  /** The token's issuer, once the signature has been verified. */
  issuer?: string | undefined
  /** The key repositories asked for the public key, in order. */
  repositories?: readonly string[] | undefined
}

const verificationBrand = Symbol.for('asap-auth.verification-error')

const codesWithoutBearerError: ReadonlySet<string> = new Set([
  ASAP_VERIFICATION_ERROR_CODES.TOKEN_MISSING,
  ASAP_VERIFICATION_ERROR_CODES.AUTHORIZATION_SCHEME_UNSUPPORTED,
])

/**
 * A token failed verification. `code` names the failed check, and `status` is the HTTP status to
 * respond with: 403 for {@link ASAP_VERIFICATION_ERROR_CODES.ISSUER_NOT_ALLOWED}, 401 for every other code.
 *
 * The message names the check that failed and the values at fault (key ID, issuer, audience,
 * times, repository URLs), never the token itself.
 *
 * `instanceof AsapVerificationError` holds for errors from any copy of the package, because it
 * tests a `Symbol.for` brand. It is false for the other {@link AsapError} classes.
 */
export class AsapVerificationError extends AsapError {
  declare readonly code: AsapVerificationErrorCode
  /** The HTTP status to respond with: 401, or 403 when the issuer is not allowed. */
  readonly status: 401 | 403
  /** The token's key ID, when it follows the key ID rules. */
  readonly keyId: string | undefined
  /** The token's issuer, set only once the signature has been verified. */
  readonly issuer: string | undefined
  /** The key repositories asked for the public key, in order. Empty when none was asked. */
  readonly repositories: readonly string[]

  constructor(
    code: AsapVerificationErrorCode,
    message: string,
    options: AsapVerificationErrorOptions = {},
  ) {
    super(code, message, options)
    this.status = code === ASAP_VERIFICATION_ERROR_CODES.ISSUER_NOT_ALLOWED ? 403 : 401
    this.keyId = options.keyId
    this.issuer = options.issuer
    this.repositories = Object.freeze([...(options.repositories ?? [])])
    Object.defineProperty(this, verificationBrand, { value: true })
  }

  // The base class matches a subclass by its static `code`. This class carries many codes, so it
  // checks its own brand instead.
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isAsapVerificationError(value)
  }
}

/** Returns true when `value` is an {@link AsapVerificationError}, from any copy of the package. */
export function isAsapVerificationError(value: unknown): value is AsapVerificationError {
  return isAsapError(value) && verificationBrand in value
}

/**
 * Returns the `WWW-Authenticate` header value for a failed verification, or `undefined` for a 403.
 *
 * A 401 gets `Bearer`. When the request carried a bearer token, it gets
 * `Bearer error="invalid_token"` (RFC 6750, section 3.1). A request without a token, without a
 * scheme, or with another scheme such as `Basic`, gets no error code, as that section requires.
 */
export function wwwAuthenticateHeader(error: AsapVerificationError): string | undefined {
  if (error.status === 403) {
    return undefined
  }
  return codesWithoutBearerError.has(error.code) ? 'Bearer' : 'Bearer error="invalid_token"'
}
