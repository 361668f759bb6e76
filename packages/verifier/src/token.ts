/**
 * Step 2 of verification: decode the parts of a token without trusting them, and check its `alg`
 * and `kid` before anything uses them.
 *
 * @module
 */

import { ASAP_ALGORITHMS, type AsapAlgorithm, isAsapAlgorithm, keyIdProblem } from '@asap-auth/core'
import { quote } from './debug.js'
import { AsapVerificationError, ASAP_VERIFICATION_ERROR_CODES as codes } from './errors.js'

/**
 * Maximum token length, in characters: 16 KiB, Node's default limit for all request headers
 * together. Longer input is rejected before it is decoded.
 */
export const MAX_TOKEN_LENGTH = 16 * 1024

/**
 * Maximum key ID length, in characters: 1024. The key ID becomes part of the key repository URL,
 * and real key IDs are far shorter (an issuer and a key name), so a longer one is rejected before
 * any lookup.
 */
export const MAX_KEY_ID_LENGTH = 1024

/** The protected header of a verified token. */
export interface VerifiedHeader {
  /** One of the nine ASAP algorithms. */
  alg: AsapAlgorithm
  /** The key ID, valid by the ASAP key ID rules. */
  kid: string
  /** `JWT` in tokens that follow the protocol. Not checked, as the reference verifier does not. */
  typ?: string
  [parameter: string]: unknown
}

/** A token split into its decoded parts, none of them verified yet. */
export interface DecodedToken {
  readonly header: VerifiedHeader
  readonly payload: Record<string, unknown>
}

const base64UrlPattern = /^[A-Za-z0-9_-]+$/

function malformed(message: string, keyId?: string): AsapVerificationError {
  return new AsapVerificationError(codes.TOKEN_MALFORMED, message, { keyId })
}

function decodeJsonPart(part: string, name: string, keyId?: string): Record<string, unknown> {
  if (!base64UrlPattern.test(part)) {
    throw malformed(`The token's ${name} is not Base64url.`, keyId)
  }
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))
  } catch {
    throw malformed(`The token's ${name} is not valid JSON.`, keyId)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw malformed(`The token's ${name} is not a JSON object.`, keyId)
  }
  return value as Record<string, unknown>
}

function checkHeader(header: Record<string, unknown>): VerifiedHeader {
  if ('crit' in header) {
    throw malformed(
      'The token header has a "crit" parameter: ASAP tokens use no critical header extensions.',
    )
  }
  if (!isAsapAlgorithm(header.alg)) {
    throw new AsapVerificationError(
      codes.ALGORITHM_NOT_ALLOWED,
      `The token's alg ${quote(header.alg)} is not allowed: ASAP accepts only ${ASAP_ALGORITHMS.join(', ')}.`,
      { field: 'alg' },
    )
  }
  if (typeof header.kid === 'string' && header.kid.length > MAX_KEY_ID_LENGTH) {
    throw new AsapVerificationError(
      codes.KEY_ID_INVALID,
      `The token's kid ${quote(header.kid)} is ${header.kid.length} characters long, over the limit of ${MAX_KEY_ID_LENGTH}.`,
      { field: 'kid' },
    )
  }
  const problem = keyIdProblem(header.kid)
  if (problem !== undefined) {
    throw new AsapVerificationError(
      codes.KEY_ID_INVALID,
      header.kid === undefined
        ? 'The token header has no kid: ASAP tokens name their public key with a key ID.'
        : `The token's kid ${quote(header.kid)} is invalid: a key ID ${problem}.`,
      { field: 'kid' },
    )
  }
  return header as VerifiedHeader
}

/**
 * Decodes a compact JWS without verifying it. The header is checked first, so that the algorithm
 * and the key ID are valid before anything else uses them, and then the payload and the signature
 * part are checked for form.
 *
 * @throws {AsapVerificationError} `ERR_ASAP_TOKEN_MALFORMED`, `ERR_ASAP_ALGORITHM_NOT_ALLOWED` or
 * `ERR_ASAP_TOKEN_KEY_ID_INVALID`.
 */
export function decodeToken(token: string): DecodedToken {
  if (token.length > MAX_TOKEN_LENGTH) {
    throw malformed(
      `The token is ${token.length} characters long, over the limit of ${MAX_TOKEN_LENGTH}.`,
    )
  }
  const parts = token.split('.')
  if (parts.length !== 3) {
    throw malformed(
      `The token has ${parts.length} part${parts.length === 1 ? '' : 's'}: a compact JWS has 3, separated by ".".`,
    )
  }
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string]

  const header = checkHeader(decodeJsonPart(headerPart, 'header'))
  const payload = decodeJsonPart(payloadPart, 'payload', header.kid)
  if (!base64UrlPattern.test(signaturePart)) {
    throw malformed('The token has no signature, or its signature is not Base64url.', header.kid)
  }
  return { header, payload }
}
