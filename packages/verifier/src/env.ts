/**
 * Verifier options from `ASAP_*` environment variables.
 *
 * @module
 */

import { AsapEnvironmentError, type AsapEnvironmentProblem } from '@asap-auth/core'
import { MAX_LEEWAY, type VerifierOptions } from './options.js'
import { readRepositoryUrl } from './repository-url.js'

/**
 * The verifier options that {@link verifierOptionsFromEnv} reads, and `allowInsecureHttp` when
 * its settings allow `http:`, so that the result can be passed to `createVerifier` as it is.
 */
export type VerifierEnvironmentOptions = Pick<
  VerifierOptions,
  'audience' | 'keyRepository' | 'allowedIssuers' | 'leeway' | 'allowInsecureHttp'
>

/** Options of {@link verifierOptionsFromEnv}. */
export interface VerifierEnvironmentSettings {
  /** Accept `http:` repository URLs, as `createVerifier`'s option of the same name does. */
  allowInsecureHttp?: boolean | undefined
}

/** Splits a comma-separated list, trims each item, and drops empty items. */
function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
}

/** Returns the trimmed value of `name`, or `undefined` when it is unset, empty or blank. */
function readValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim()
  return value === undefined || value === '' ? undefined : value
}

/** The state of a list variable: unset, set but blank, or set to a list of at least one item. */
type ListValue =
  | { readonly kind: 'unset' }
  | { readonly kind: 'blank' }
  | { readonly kind: 'empty-list' }
  | { readonly kind: 'list'; readonly items: string[] }

function readListValue(env: NodeJS.ProcessEnv, name: string): ListValue {
  const raw = env[name]
  if (raw === undefined) {
    return { kind: 'unset' }
  }
  if (raw.trim() === '') {
    return { kind: 'blank' }
  }
  const items = splitList(raw)
  return items.length === 0 ? { kind: 'empty-list' } : { kind: 'list', items }
}

/**
 * Reads verifier options from environment variables:
 *
 * | Variable | Option | Form |
 * | --- | --- | --- |
 * | `ASAP_PUBLIC_KEY_REPOSITORY_URL` | `keyRepository` (first) | URL, required |
 * | `ASAP_PUBLIC_KEY_FALLBACK_REPOSITORY_URL` | `keyRepository` (second) | URL |
 * | `ASAP_VALID_AUDIENCE` | `audience` | comma-separated list, required |
 * | `ASAP_VALID_ISSUERS` | `allowedIssuers` | comma-separated list |
 * | `ASAP_SERVER_LEEWAY_SECONDS` | `leeway` | whole number of seconds from 0 to 300 |
 *
 * List items are trimmed and empty items dropped. A list variable that is set but empty or blank,
 * or holds only commas, is an error, because a deployment template that lost its value must not
 * accept every issuer. An unset `ASAP_VALID_ISSUERS` accepts every issuer. The fallback URL and
 * the leeway leave their option out when unset, empty or blank. Spread the result into the options
 * and add the rest: `createVerifier({ ...verifierOptionsFromEnv(process.env), timeout: 2000 })`.
 *
 * @throws {AsapEnvironmentError} naming every missing or invalid variable at once. Values are
 * never part of the message.
 */
export function verifierOptionsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  settings: VerifierEnvironmentSettings = {},
): VerifierEnvironmentOptions {
  const problems: AsapEnvironmentProblem[] = []
  const allowInsecureHttp = settings.allowInsecureHttp === true

  const readUrl = (name: string, required: boolean): string | undefined => {
    const value = readValue(env, name)
    if (value === undefined) {
      if (required) {
        problems.push({
          variable: name,
          message: 'is not set. Set it to the base URL of the public key repository.',
        })
      }
      return undefined
    }
    try {
      return readRepositoryUrl(value, allowInsecureHttp).href
    } catch (error) {
      problems.push({ variable: name, message: `is invalid: the URL ${(error as Error).message}.` })
      return undefined
    }
  }

  const readList = (name: string, required: boolean, hint: string): string[] | undefined => {
    const value = readListValue(env, name)
    if (value.kind === 'list') {
      return value.items
    }
    if (value.kind === 'blank') {
      problems.push({ variable: name, message: `is set but blank. Set it to ${hint}.` })
    } else if (value.kind === 'empty-list') {
      problems.push({ variable: name, message: `lists no values. Set it to ${hint}.` })
    } else if (required) {
      problems.push({ variable: name, message: `is not set. Set it to ${hint}.` })
    }
    return undefined
  }

  const primary = readUrl('ASAP_PUBLIC_KEY_REPOSITORY_URL', true)
  const fallback = readUrl('ASAP_PUBLIC_KEY_FALLBACK_REPOSITORY_URL', false)
  const audience = readList(
    'ASAP_VALID_AUDIENCE',
    true,
    'the identifiers this service accepts in the aud claim, separated by commas',
  )
  const allowedIssuers = readList(
    'ASAP_VALID_ISSUERS',
    false,
    'the issuers whose tokens this service accepts, separated by commas, or unset it to accept every issuer',
  )

  let leeway: number | undefined
  const leewayText = readValue(env, 'ASAP_SERVER_LEEWAY_SECONDS')
  if (leewayText !== undefined) {
    leeway = /^\d+$/.test(leewayText) ? Number(leewayText) : Number.NaN
    if (!(leeway <= MAX_LEEWAY)) {
      problems.push({
        variable: 'ASAP_SERVER_LEEWAY_SECONDS',
        message: `is invalid: expected a whole number of seconds from 0 to ${MAX_LEEWAY}.`,
      })
    }
  }

  if (problems.length > 0) {
    throw new AsapEnvironmentError(problems)
  }

  const options: VerifierEnvironmentOptions = {
    audience: audience!,
    keyRepository: fallback === undefined ? [primary!] : [primary!, fallback],
  }
  if (allowedIssuers !== undefined) {
    options.allowedIssuers = allowedIssuers
  }
  if (leeway !== undefined) {
    options.leeway = leeway
  }
  if (allowInsecureHttp) {
    options.allowInsecureHttp = true
  }
  return options
}
