/**
 * Step 1 of verification: read the token from an `Authorization` header value, or accept a token
 * that the caller passes on its own.
 *
 * @module
 */

import { quote } from './debug.js'
import { AsapVerificationError, ASAP_VERIFICATION_ERROR_CODES as codes } from './errors.js'

function malformed(message: string): AsapVerificationError {
  return new AsapVerificationError(codes.TOKEN_MALFORMED, message)
}

function checkPresentString(input: unknown, missingMessage: string): asserts input is string {
  if (input === undefined || input === null || input === '') {
    throw new AsapVerificationError(codes.TOKEN_MISSING, missingMessage)
  }
  if (typeof input !== 'string') {
    throw malformed(
      `Expected the token or the Authorization header as a string, got ${typeof input}.`,
    )
  }
}

/**
 * Returns the token from an `Authorization` header value. The value must have exactly two parts,
 * the scheme `Bearer` (compared case-insensitively) and the token, separated by one space.
 *
 * A value without a space is rejected, even when it looks like a token: a header has a scheme,
 * and accepting a bare value would accept credentials that the client never labelled as Bearer.
 * The message quotes no part of such a value, because it may be the token itself.
 *
 * @throws {AsapVerificationError} `ERR_ASAP_TOKEN_MISSING` when the value is missing or empty,
 * `ERR_ASAP_AUTHORIZATION_SCHEME_UNSUPPORTED` when the scheme is missing or is not `Bearer`, and
 * `ERR_ASAP_TOKEN_MALFORMED` when the value has another form.
 */
export function parseAuthorizationHeader(input: unknown): string {
  checkPresentString(
    input,
    'No ASAP token: the request has no Authorization header. Send "Authorization: Bearer <token>".',
  )

  const space = input.indexOf(' ')
  if (space === -1) {
    if (input.toLowerCase() === 'bearer') {
      throw malformed('The Authorization header has the Bearer scheme but no token.')
    }
    throw new AsapVerificationError(
      codes.AUTHORIZATION_SCHEME_UNSUPPORTED,
      'The Authorization header has no scheme: ASAP tokens must be sent as "Bearer <token>".',
    )
  }

  const scheme = input.slice(0, space)
  if (scheme === '') {
    throw malformed('The Authorization header starts with a space: expected "Bearer <token>".')
  }
  if (scheme.toLowerCase() !== 'bearer') {
    throw new AsapVerificationError(
      codes.AUTHORIZATION_SCHEME_UNSUPPORTED,
      `The Authorization header uses the ${quote(scheme.slice(0, 20))} scheme: ASAP tokens must be sent as "Bearer <token>".`,
    )
  }
  const token = input.slice(space + 1)
  if (token === '' || token.includes(' ')) {
    throw malformed(
      'The Authorization header is not "Bearer <token>" with exactly one space between the scheme and the token.',
    )
  }
  return token
}

/**
 * Returns `input` when it can be a bare token: a non-empty string without whitespace. A value with
 * a scheme such as `Bearer <token>` is rejected, so that a header value is never half-accepted.
 *
 * @throws {AsapVerificationError} `ERR_ASAP_TOKEN_MISSING` when the value is missing or empty, and
 * `ERR_ASAP_TOKEN_MALFORMED` when it is not a string or contains whitespace.
 */
export function readBareToken(input: unknown): string {
  checkPresentString(input, 'No ASAP token: verifyToken was called without a token.')

  if (/\s/.test(input)) {
    throw malformed(
      'The token contains whitespace. Pass an Authorization header value such as "Bearer <token>" to verify or verifyAuthorizationHeader, and a bare token to verifyToken.',
    )
  }
  return input
}

/**
 * Returns the token from `input`, given either bare or as an `Authorization` header value. A value
 * without whitespace is read as a bare token, and any other value as a header value, by the rules
 * of {@link parseAuthorizationHeader}.
 *
 * @throws {AsapVerificationError} as {@link parseAuthorizationHeader} and {@link readBareToken} do.
 */
export function readTokenOrHeader(input: unknown): string {
  if (typeof input === 'string' && input !== '' && !/\s/.test(input)) {
    return input.toLowerCase() === 'bearer' ? parseAuthorizationHeader(input) : input
  }
  return parseAuthorizationHeader(input)
}
