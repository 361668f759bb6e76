/**
 * Signer options from `ASAP_*` environment variables.
 *
 * @module
 */

import type { KeyObject } from 'node:crypto'
import { ASAP_ALGORITHMS, algorithmDescriptor, isAsapAlgorithm } from './algorithms.js'
import { MAX_LIFETIME_SECONDS } from './claims.js'
import {
  AsapEnvironmentError,
  type AsapEnvironmentProblem,
  AsapKeyAlgorithmMismatchError,
  isAsapError,
} from './errors.js'
import { assertKeyFitsAlgorithm, assertKeySigns } from './key-algorithm.js'
import { isDataUri } from './key-data-uri.js'
import { explainKeyIdProblem, isKeyIdOwnedBy, keyIdProblem } from './key-id.js'
import { normalizeKeyText } from './key-text.js'
import { type LoadedPrivateKey, loadPrivateKey } from './private-key.js'
import { exampleValue, quoteValue } from './quote.js'
import type { SignerOptions } from './signer.js'
import type { AsapAlgorithm } from './types.js'

/** Signer options read by {@link signerOptionsFromEnv}. */
export interface EnvironmentSignerOptions extends SignerOptions {
  /** From `ASAP_KEY_ID`, or from the `kid` of a data-URI `ASAP_PRIVATE_KEY`. */
  keyId: string
  /** The key of `ASAP_PRIVATE_KEY`, already read, so that the text of the key is not passed on. */
  privateKey: KeyObject
  /** From `ASAP_AUDIENCE`: the comma-separated values, trimmed, without empty ones. */
  audience: string[] | undefined
}

/** The environment to read: `process.env`, or any object of the same shape. */
export type Environment = Readonly<Record<string, string | undefined>>

const DATA_URI_HINT = 'or give ASAP_PRIVATE_KEY as a data:application/pkcs8;kid=… URI'

/**
 * Rewrites the message of a check that was given the variable as its field, such as "The
 * ASAP_PRIVATE_KEY is a public key …", for a problem list line, which starts with the variable
 * already: "is a public key …".
 */
function withoutVariableName(message: string, variable: string): string {
  const subject = `The ${variable} `
  const text = message.startsWith(subject) ? message.slice(subject.length) : message
  return text.replaceAll(` the ${variable} `, ' the ')
}

/** Collects one problem per variable, so that one error can name them all. */
class ProblemList {
  readonly problems: AsapEnvironmentProblem[] = []

  add(variable: string, message: string): void {
    this.problems.push({ variable, message })
  }

  /** Runs `check` and records an `AsapError` it throws against `variable`. */
  check<T>(variable: string, check: () => T): T | undefined {
    try {
      return check()
    } catch (error) {
      if (!isAsapError(error)) {
        throw error
      }
      this.add(variable, withoutVariableName(error.message, variable))
      return undefined
    }
  }
}

/** Returns the trimmed value, or `undefined` for a variable that is unset or blank. */
function readVariable(env: Environment, name: string): string | undefined {
  const value = env[name]?.trim()
  return value === undefined || value === '' ? undefined : value
}

function readAudience(env: Environment, problems: ProblemList): string[] | undefined {
  const value = readVariable(env, 'ASAP_AUDIENCE')
  if (value === undefined) {
    return undefined
  }
  const audience = value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
  if (audience.length === 0) {
    problems.add(
      'ASAP_AUDIENCE',
      'contains no audience. List the receivers, such as "invoices,ledger".',
    )
    return undefined
  }
  return audience
}

function readExpiresIn(env: Environment, problems: ProblemList): number | undefined {
  const value = readVariable(env, 'ASAP_EXPIRES_IN')
  if (value === undefined) {
    return undefined
  }
  const seconds = /^\d+$/.test(value) ? Number(value) : Number.NaN
  if (!(seconds >= 1 && seconds <= MAX_LIFETIME_SECONDS)) {
    problems.add(
      'ASAP_EXPIRES_IN',
      `is ${quoteValue(value)}, but must be a whole number of seconds from 1 to ${MAX_LIFETIME_SECONDS}.`,
    )
    return undefined
  }
  return seconds
}

function readAlgorithm(env: Environment, problems: ProblemList): AsapAlgorithm | undefined {
  const value = readVariable(env, 'ASAP_ALGORITHM')
  if (value === undefined) {
    return 'RS256'
  }
  if (isAsapAlgorithm(value)) {
    return value
  }
  const upper = value.toUpperCase()
  const caseHint = isAsapAlgorithm(upper)
    ? ` Algorithm names are case-sensitive: use "${upper}".`
    : ''
  problems.add(
    'ASAP_ALGORITHM',
    `is ${quoteValue(value)}, but ASAP allows only ${ASAP_ALGORITHMS.join(', ')}.${caseHint}`,
  )
  return undefined
}

/**
 * Names the variables in the message of a key that does not fit the algorithm, which names the
 * `algorithm` option. NOTE: the replaced phrases are those of key-algorithm.ts, and
 * option-messages.test.ts checks the result word for word.
 */
function mismatchInEnvironmentTerms(
  error: AsapKeyAlgorithmMismatchError,
  algorithm: AsapAlgorithm,
  algorithmIsDefault: boolean,
): AsapKeyAlgorithmMismatchError {
  let message = error.message.replace('Set algorithm to ', 'Set ASAP_ALGORITHM to ')
  if (algorithmIsDefault) {
    message = message.replace(
      `cannot sign ${algorithm}.`,
      `cannot sign ${algorithm}, the default when ASAP_ALGORITHM is unset.`,
    )
  }
  return new AsapKeyAlgorithmMismatchError(message, { field: error.field })
}

function readPrivateKey(
  env: Environment,
  algorithm: AsapAlgorithm | undefined,
  problems: ProblemList,
): LoadedPrivateKey | undefined {
  const value = env.ASAP_PRIVATE_KEY
  if (value === undefined || value.trim() === '') {
    problems.add('ASAP_PRIVATE_KEY', 'is missing. Set it to a PEM or data-URI private key.')
    return undefined
  }

  const loaded = problems.check('ASAP_PRIVATE_KEY', () => loadPrivateKey(value, 'ASAP_PRIVATE_KEY'))
  if (loaded === undefined || algorithm === undefined) {
    return loaded
  }
  const descriptor = algorithmDescriptor(algorithm)
  const algorithmIsDefault = readVariable(env, 'ASAP_ALGORITHM') === undefined
  const usable = problems.check('ASAP_PRIVATE_KEY', () => {
    try {
      assertKeyFitsAlgorithm(loaded.key, descriptor, 'ASAP_PRIVATE_KEY')
    } catch (error) {
      throw error instanceof AsapKeyAlgorithmMismatchError
        ? mismatchInEnvironmentTerms(error, algorithm, algorithmIsDefault)
        : error
    }
    assertKeySigns(loaded.key, descriptor, 'ASAP_PRIVATE_KEY')
    return true
  })
  return usable ? loaded : undefined
}

function resolveKeyId(
  env: Environment,
  issuer: string | undefined,
  loaded: LoadedPrivateKey | undefined,
  problems: ProblemList,
): string | undefined {
  const explicit = readVariable(env, 'ASAP_KEY_ID')
  const fromKey = loaded?.keyId
  if (explicit !== undefined && fromKey !== undefined && explicit !== fromKey) {
    problems.add(
      'ASAP_KEY_ID',
      `is ${quoteValue(explicit)}, but the data-URI ASAP_PRIVATE_KEY carries the key ID ${quoteValue(fromKey)}. ` +
        'Remove ASAP_KEY_ID, or use the key that belongs to it.',
    )
    return undefined
  }

  const keyId = explicit ?? fromKey
  const variable = explicit !== undefined ? 'ASAP_KEY_ID' : 'ASAP_PRIVATE_KEY'
  if (keyId === undefined) {
    // A data URI that could not be read may still carry a key ID: its problem is reported already.
    const keyText = env.ASAP_PRIVATE_KEY
    const unreadDataUri =
      loaded === undefined && keyText !== undefined && isDataUri(normalizeKeyText(keyText))
    if (!unreadDataUri) {
      problems.add(
        'ASAP_KEY_ID',
        `is missing. Set it to the key ID of the public key, such as "my-service/key-1", ${DATA_URI_HINT}.`,
      )
    }
    return undefined
  }

  const stated =
    variable === 'ASAP_KEY_ID'
      ? `is ${quoteValue(keyId)}`
      : `carries the key ID ${quoteValue(keyId)} in its kid parameter`
  const problem = keyIdProblem(keyId)
  if (problem !== undefined) {
    problems.add(variable, `${stated}, but ${explainKeyIdProblem(problem)}`)
    return undefined
  }
  if (issuer !== undefined && !isKeyIdOwnedBy(keyId, issuer)) {
    problems.add(
      variable,
      `${stated}, but verifiers accept from the issuer ${quoteValue(issuer)} only key IDs that start with "${exampleValue(issuer)}/". ` +
        `Publish the key under a key ID such as "${exampleValue(issuer)}/key-1", or correct ASAP_ISSUER.`,
    )
    return undefined
  }
  return keyId
}

/**
 * Reads signer options from the environment, for {@link createSigner}:
 *
 * | Variable | Option | Notes |
 * | --- | --- | --- |
 * | `ASAP_ISSUER` | `issuer` | Required. |
 * | `ASAP_KEY_ID` | `keyId` | Required unless `ASAP_PRIVATE_KEY` is a data URI with a `kid`. |
 * | `ASAP_PRIVATE_KEY` | `privateKey` | Required. Any text form; read here into a `KeyObject`. |
 * | `ASAP_AUDIENCE` | `audience` | Comma-separated; blanks trimmed, empty entries dropped. |
 * | `ASAP_SUBJECT` | `subject` | Defaults to the issuer. |
 * | `ASAP_ALGORITHM` | `algorithm` | Default `RS256`. |
 * | `ASAP_EXPIRES_IN` | `expiresIn` | Whole seconds from 1 to 3600, default 3600. |
 *
 * Values are trimmed, and a blank variable counts as unset. The key is read and checked against
 * the algorithm here, so that every problem is reported at once.
 *
 * @example
 * ```ts
 * const signer = createSigner(signerOptionsFromEnv())
 * ```
 *
 * @param env - The variables to read. Defaults to `process.env`.
 * @throws {AsapEnvironmentError} naming every missing or invalid variable in `problems`. No
 *   message contains the value of `ASAP_PRIVATE_KEY`.
 */
export function signerOptionsFromEnv(env: Environment = process.env): EnvironmentSignerOptions {
  const problems = new ProblemList()

  const issuer = readVariable(env, 'ASAP_ISSUER')
  if (issuer === undefined) {
    problems.add('ASAP_ISSUER', 'is missing. Set it to the identifier of this service.')
  }
  const algorithm = readAlgorithm(env, problems)
  const expiresIn = readExpiresIn(env, problems)
  const audience = readAudience(env, problems)
  const loaded = readPrivateKey(env, algorithm, problems)
  const keyId = resolveKeyId(env, issuer, loaded, problems)

  if (
    problems.problems.length > 0 ||
    issuer === undefined ||
    keyId === undefined ||
    loaded === undefined
  ) {
    throw new AsapEnvironmentError(problems.problems)
  }
  return {
    issuer,
    keyId,
    privateKey: loaded.key,
    algorithm,
    subject: readVariable(env, 'ASAP_SUBJECT'),
    expiresIn,
    audience,
  }
}
