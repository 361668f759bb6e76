/**
 * Signer options from `ASAP_*` environment variables.
 *
 * @module
 */

import type { KeyObject } from 'node:crypto'
import { algorithmDescriptor } from './algorithms.js'
import { MAX_LIFETIME_SECONDS } from './claims.js'
import { AsapEnvironmentError, type AsapEnvironmentProblem, isAsapError } from './errors.js'
import { assertKeyFitsAlgorithm, assertKeySigns } from './key-algorithm.js'
import { isDataUri } from './key-data-uri.js'
import { assertKeyIdOwnedBy, assertValidKeyId } from './key-id.js'
import { normalizeKeyText } from './key-text.js'
import { type LoadedPrivateKey, loadPrivateKey } from './private-key.js'
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
      this.add(variable, error.message)
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
      `is ${JSON.stringify(value)}, but must be a whole number of seconds from 1 to ${MAX_LIFETIME_SECONDS}.`,
    )
    return undefined
  }
  return seconds
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
  const usable = problems.check('ASAP_PRIVATE_KEY', () => {
    assertKeyFitsAlgorithm(loaded.key, descriptor, 'ASAP_PRIVATE_KEY')
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
      `is ${JSON.stringify(explicit)}, but the data-URI ASAP_PRIVATE_KEY carries the key ID ${JSON.stringify(fromKey)}. ` +
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

  return problems.check(variable, () => {
    assertValidKeyId(keyId, variable)
    if (issuer !== undefined) {
      assertKeyIdOwnedBy(keyId, issuer, variable)
    }
    return keyId
  })
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
  const algorithmName = readVariable(env, 'ASAP_ALGORITHM')
  const algorithm = problems.check('ASAP_ALGORITHM', () =>
    algorithmDescriptor(algorithmName ?? 'RS256', 'ASAP_ALGORITHM'),
  )?.name
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
