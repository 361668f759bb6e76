/**
 * Key ID rules. A key ID becomes part of the key repository URL, so it must be safe as a path.
 *
 * @module
 */

import { AsapInvalidKeyIdError, AsapKeyIdNotOwnedError } from './errors.js'
import { exampleValue, quoteValue } from './quote.js'

const segmentPattern = /^[A-Za-z0-9_.+-]+$/

/** The {@link keyIdProblem} of a key ID with a character outside the allowed set. */
const CHARACTER_PROBLEM =
  'may contain only ASCII letters, digits, "_", ".", "+", "-" and "/" between segments'

/**
 * Returns why `keyId` breaks the ASAP key ID rules, or `undefined` when it is valid.
 *
 * A valid key ID is one or more non-empty segments joined by single `/`, each made only of ASCII
 * letters, digits, `_`, `.`, `+` and `-`, with `..` nowhere in it (so no segment is `.` or `..`).
 */
export function keyIdProblem(keyId: unknown): string | undefined {
  if (typeof keyId !== 'string') {
    return `must be a string, got ${typeof keyId}`
  }
  if (keyId.length === 0) {
    return 'must not be empty'
  }
  if (keyId.startsWith('/') || keyId.endsWith('/')) {
    return 'must not start or end with "/"'
  }
  if (keyId.includes('..')) {
    return 'must not contain ".."'
  }

  for (const segment of keyId.split('/')) {
    if (segment.length === 0) {
      return 'must not contain an empty segment ("//")'
    }
    if (segment === '.') {
      return 'must not contain a "." segment'
    }
    if (!segmentPattern.test(segment)) {
      return CHARACTER_PROBLEM
    }
  }
  return undefined
}

/** Returns true when `keyId` follows the ASAP key ID rules. */
export function isValidKeyId(keyId: unknown): keyId is string {
  return keyIdProblem(keyId) === undefined
}

/** Returns true when `keyId` starts with `<issuer>/`, which is how a verifier checks ownership. */
export function isKeyIdOwnedBy(keyId: string, issuer: string): boolean {
  return keyId.length > issuer.length + 1 && keyId.startsWith(`${issuer}/`)
}

/**
 * Explains a {@link keyIdProblem} and how to fix it, as "a key ID …", stating the allowed
 * characters once.
 */
export function explainKeyIdProblem(problem: string): string {
  if (problem === CHARACTER_PROBLEM) {
    return `a key ID ${problem}, such as "my-service/key-1".`
  }
  return (
    `a key ID ${problem}. ` +
    'Use segments of ASCII letters, digits, "_", ".", "+" and "-" joined by "/", such as "my-service/key-1".'
  )
}

/**
 * Throws unless `keyId` follows the ASAP key ID rules.
 *
 * @throws {AsapInvalidKeyIdError}
 */
export function assertValidKeyId(keyId: unknown, field = 'keyId'): asserts keyId is string {
  const problem = keyIdProblem(keyId)
  if (problem !== undefined) {
    throw new AsapInvalidKeyIdError(
      `Invalid ${field} ${quoteValue(keyId)}: ${explainKeyIdProblem(problem)}`,
      { field },
    )
  }
}

/**
 * Throws unless `keyId` starts with `<issuer>/`. `field` names the option at fault: `keyId`, or
 * the claim that changed the issuer.
 *
 * @throws {AsapKeyIdNotOwnedError}
 */
export function assertKeyIdOwnedBy(keyId: string, issuer: string, field = 'keyId'): void {
  if (!isKeyIdOwnedBy(keyId, issuer)) {
    throw new AsapKeyIdNotOwnedError(
      `The key ID ${quoteValue(keyId)} is not owned by the issuer ${quoteValue(issuer)}: ` +
        `verifiers accept only key IDs that start with "${exampleValue(issuer)}/". ` +
        `Publish the key under a key ID such as "${exampleValue(issuer)}/key-1", or correct the issuer.`,
      { field },
    )
  }
}
