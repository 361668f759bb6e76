/**
 * The options of `createVerifier`, their defaults, and their validation.
 *
 * @module
 */

import type { KeyObject } from 'node:crypto'
import {
  AsapInvalidOptionError,
  AsapMissingOptionError,
  assertKnownOptions,
  type Clock,
  MAX_LIFETIME_SECONDS,
} from '@asap-auth/core'
import type { Dispatcher } from 'undici'
import { MAX_KEY_CACHE_TTL } from './cache-control.js'
import type { ClaimRules } from './claims.js'
import { isLoopbackUrl, readRepositoryUrl } from './repository-url.js'

/**
 * Default leeway, in seconds: 30, as in two widely used Node ASAP verifiers. Hosts synchronised
 * by NTP differ by far less, but containers and virtual machines that resume from a pause can
 * drift by seconds. 30 s of extra life is small next to token lifetimes of up to an hour.
 */
export const DEFAULT_LEEWAY = 30

/** Largest accepted leeway, in seconds: five minutes. */
export const MAX_LEEWAY = 300

/** Default time limit of one key repository request, in milliseconds: 5 seconds. */
export const DEFAULT_TIMEOUT = 5000

/** Largest accepted key repository request time limit, in milliseconds: 60 seconds. */
export const MAX_TIMEOUT = 60_000

/**
 * Default time a public key is cached when the repository's response has no `Cache-Control`
 * lifetime, in seconds: one hour. Keys are replaced by publishing a new key ID, so a cached key
 * only has to expire for the rare revocation.
 */
export const DEFAULT_KEY_CACHE_TTL = 3600

/**
 * Default time a "not found" or "unusable key" response is cached, in seconds: 60. A flood of
 * tokens with an unknown key ID then costs the repository one request per key ID a minute, and a
 * newly published key is picked up within a minute.
 */
export const DEFAULT_MISSING_KEY_CACHE_TTL = 60

/** Default number of found public keys the cache holds: 1000. */
export const DEFAULT_KEY_CACHE_MAX_ENTRIES = 1000

/**
 * Default number of "not found" or "unusable key" responses the cache holds, apart from the found
 * keys: 100. It is meant for the few unpublished key IDs that misconfigured clients keep sending.
 * A flood of distinct made-up key IDs cycles through these entries and leaves the found keys alone.
 */
export const DEFAULT_MISSING_KEY_CACHE_MAX_ENTRIES = 100

/**
 * Default number of public key lookups that run at once: 16. Concurrent verifications that need
 * the same key share one lookup, so the limit counts distinct key IDs. Keys change rarely, so
 * many new key IDs at once are most likely after a restart, and those lookups wait briefly
 * instead of failing. A flood of tokens with made-up key IDs opens at most 16 requests at a time.
 */
export const DEFAULT_MAX_CONCURRENT_KEY_FETCHES = 16

/** Largest accepted `maxConcurrentKeyFetches`: 1000. */
export const MAX_CONCURRENT_KEY_FETCHES = 1000

/**
 * Default number of `jti` values the replay store holds: 100,000. That covers 100,000 accepted
 * tokens within one token lifetime plus the leeway, about 28 a second with one-hour tokens.
 */
export const DEFAULT_REPLAY_CACHE_MAX_ENTRIES = 100_000

/** A public key as a key repository function returns it: an SPKI PEM string or a `KeyObject`. */
export type PublicKeyInput = string | KeyObject

/**
 * Returns the public key for a key ID, or `undefined` or `null` when there is none. It may be
 * async. A thrown error makes the verification fail with `ERR_ASAP_KEY_REPOSITORY_UNAVAILABLE`.
 */
export type KeyRepositoryFunction = (
  keyId: string,
) => PublicKeyInput | undefined | null | Promise<PublicKeyInput | undefined | null>

/**
 * The source of public keys: the base URL of an HTTP key repository, several base URLs tried in
 * order, or a function from key ID to public key.
 */
export type KeyRepository = string | URL | readonly (string | URL)[] | KeyRepositoryFunction

/** Options of replay protection. */
export interface ReplayProtectionOptions {
  /**
   * Most `jti` values kept. When the store is full, the least recently seen value is dropped even
   * if its token is still valid, and a token with that `jti` would be accepted again.
   *
   * @default 100000
   */
  maxEntries?: number | undefined
}

/** Options of `createVerifier`. */
export interface VerifierOptions {
  /**
   * This service's identifier, or several: a token is accepted when its `aud` contains one of
   * them. Required.
   */
  audience: string | readonly string[]
  /**
   * The source of public keys: an `https:` base URL, a list of base URLs tried in order, or a
   * function from key ID to public key. The next URL is requested after a connection error, a
   * timeout or a 5xx response. The key with ID `<kid>` is fetched from `<base>/<kid>`. Required.
   */
  keyRepository: KeyRepository
  /**
   * Clock skew allowed when checking `iat`, `nbf` and `exp`, in whole seconds from 0 to 300.
   *
   * @default 30
   */
  leeway?: number | undefined
  /**
   * Longest accepted token lifetime, `exp` − `iat`, in whole seconds from 1 to 3600.
   *
   * @default 3600
   */
  maxLifetime?: number | undefined
  /**
   * Reject tokens whose `sub` is present and differs from `iss`, as Atlassian's reference verifier
   * does by default.
   *
   * @default true
   */
  subjectMustMatchIssuer?: boolean | undefined
  /**
   * Issuers whose tokens are accepted. By default every issuer is accepted.
   *
   * A token whose `kid` does not start with `<issuer>/` for an allowed issuer fails with
   * `ERR_ASAP_PUBLIC_KEY_NOT_FOUND` (HTTP 401) before any key lookup, because only such a key ID
   * can belong to an accepted token. A verified token whose `iss` is not allowed fails with
   * `ERR_ASAP_ISSUER_NOT_ALLOWED` (HTTP 403). Because the `kid` must start with `<iss>/`, that
   * happens only when the issuer's name extends an allowed one, such as `billing/batch` when
   * `billing` is allowed.
   */
  allowedIssuers?: string | readonly string[] | undefined
  /**
   * Accept each `jti` only once per issuer. Each accepted `jti` is kept in memory until its
   * token's `exp` plus the leeway.
   *
   * > [!WARNING]
   * > The store is per process: several processes or hosts behind one load balancer each accept
   * > a token once. Document this where your service documents that it rejects reused tokens.
   *
   * @default false
   */
  rejectReplayedJti?: boolean | ReplayProtectionOptions | undefined
  /**
   * Time limit of one key repository request, from connecting to the end of the body, in whole
   * milliseconds from 1 to 60000. A lookup that waits for a free slot under
   * `maxConcurrentKeyFetches` also waits at most this long.
   *
   * @default 5000
   */
  timeout?: number | undefined
  /**
   * Seconds a public key is cached when the repository's response has no `Cache-Control: max-age`,
   * a whole number from 0 (no caching) to 86400. A `max-age` is honoured up to 86400 seconds, and
   * `no-store` or `no-cache` prevents caching.
   *
   * @default 3600
   */
  keyCacheTtl?: number | undefined
  /**
   * Seconds a "not found" (4xx) or "unusable key" response is cached, a whole number from 0 to 3600.
   *
   * @default 60
   */
  missingKeyCacheTtl?: number | undefined
  /**
   * Most found public keys the cache holds, from 1 to 1,000,000. The least recently used key goes
   * first. "Not found" responses are kept apart, under `missingKeyCacheMaxEntries`.
   *
   * @default 1000
   */
  keyCacheMaxEntries?: number | undefined
  /**
   * Most "not found" or "unusable key" responses the cache holds, from 1 to 1,000,000. They are
   * kept apart from the found keys, so they never push a found key out.
   *
   * @default 100
   */
  missingKeyCacheMaxEntries?: number | undefined
  /**
   * Most public key lookups running at once, from 1 to 1000. Verifications that need the same
   * key share one lookup. Lookups over the limit wait in order of arrival, each for at most
   * `timeout` milliseconds, and then fail with `ERR_ASAP_KEY_REPOSITORY_UNAVAILABLE`. The limit
   * applies to a key repository function as well.
   *
   * @default 16
   */
  maxConcurrentKeyFetches?: number | undefined
  /**
   * Allow `http:` key repository URLs.
   *
   * > [!WARNING]
   * > Over plain HTTP anyone on the network path can replace the public keys and so forge
   * > tokens. Use it for tests against a loopback server. A non-loopback `http:` URL also emits a
   * > process warning with code `ASAP_INSECURE_KEY_REPOSITORY`.
   *
   * @default false
   */
  allowInsecureHttp?: boolean | undefined
  /**
   * The undici dispatcher for key repository requests, for example an `Agent` with its own TLS
   * settings or a `ProxyAgent`. Defaults to an `Agent` of the verifier's own, not undici's global
   * dispatcher. A dispatcher given here must not follow redirects, because a key reached through
   * one is accepted as the repository's response.
   */
  dispatcher?: Dispatcher | undefined
  /** The time source, in milliseconds since the Unix epoch. Defaults to `Date`. */
  clock?: Clock | undefined
}

/** The source of public keys, resolved from {@link VerifierOptions.keyRepository}. */
export type KeySource =
  | { readonly kind: 'http'; readonly repositories: readonly URL[] }
  | { readonly kind: 'function'; readonly lookUp: KeyRepositoryFunction }

/** Every option, checked and with defaults applied. */
export interface VerifierSettings {
  readonly claimRules: ClaimRules
  readonly keySource: KeySource
  readonly timeout: number
  readonly dispatcher: Dispatcher | undefined
  readonly keyCacheTtl: number
  readonly missingKeyCacheTtl: number
  readonly keyCacheMaxEntries: number
  readonly missingKeyCacheMaxEntries: number
  readonly maxConcurrentKeyFetches: number
  /** Most `jti` values kept, or `undefined` when replay protection is off. */
  readonly replayCacheMaxEntries: number | undefined
  readonly clock: Clock
}

const knownOptions: ReadonlySet<string> = new Set([
  'audience',
  'keyRepository',
  'leeway',
  'maxLifetime',
  'subjectMustMatchIssuer',
  'allowedIssuers',
  'rejectReplayedJti',
  'timeout',
  'keyCacheTtl',
  'missingKeyCacheTtl',
  'keyCacheMaxEntries',
  'missingKeyCacheMaxEntries',
  'maxConcurrentKeyFetches',
  'allowInsecureHttp',
  'dispatcher',
  'clock',
])

const warnedOrigins = new Set<string>()

function invalid(field: string, message: string): AsapInvalidOptionError {
  return new AsapInvalidOptionError(`Invalid ${field}: ${message}`, { field })
}

function readWholeNumber(
  value: unknown,
  field: string,
  range: { min: number; max: number; unit: string },
  fallback: number,
): number {
  if (value === undefined) {
    return fallback
  }
  if (!Number.isInteger(value) || (value as number) < range.min || (value as number) > range.max) {
    throw invalid(
      field,
      `expected a whole number of ${range.unit} from ${range.min} to ${range.max}, got ${JSON.stringify(value)}.`,
    )
  }
  return value as number
}

function readBoolean(value: unknown, field: string, fallback: boolean): boolean {
  if (value === undefined) {
    return fallback
  }
  if (typeof value !== 'boolean') {
    throw invalid(field, `expected true or false, got ${typeof value}.`)
  }
  return value
}

/** Reads a non-empty string or a non-empty list of non-empty strings, without duplicates. */
export function readNameList(value: unknown, field: string, example: string): string[] {
  const list = typeof value === 'string' ? [value] : value
  if (
    !Array.isArray(list) ||
    list.length === 0 ||
    !list.every((item) => typeof item === 'string' && item !== '')
  ) {
    throw invalid(
      field,
      `expected a non-empty string or a non-empty list of them, such as ${example}, got ${JSON.stringify(value)}.`,
    )
  }
  return [...new Set<string>(list)]
}

function readClock(value: unknown): Clock {
  if (value === undefined) {
    return Date
  }
  if (typeof (value as Clock | null)?.now !== 'function') {
    throw invalid('clock', 'expected an object with a now() method returning epoch milliseconds.')
  }
  return value as Clock
}

function readDispatcher(value: unknown): Dispatcher | undefined {
  if (value === undefined) {
    return undefined
  }
  if (typeof (value as Dispatcher | null)?.dispatch !== 'function') {
    throw invalid('dispatcher', 'expected an undici Dispatcher, such as an Agent.')
  }
  return value as Dispatcher
}

/** Quotes a URL for a message, unless it might contain credentials. */
function describeUrl(value: unknown): string {
  const text = value instanceof URL ? value.href : value
  return typeof text === 'string' && !text.includes('@') ? `${JSON.stringify(text)} ` : ''
}

function warnAboutInsecureUrl(url: URL): void {
  if (isLoopbackUrl(url) || warnedOrigins.has(url.origin)) {
    return
  }
  warnedOrigins.add(url.origin)
  process.emitWarning(
    `The ASAP key repository ${url.origin} is reached over plain HTTP, so anyone on the network path can replace its public keys. Use https: outside tests.`,
    { type: 'AsapInsecureKeyRepositoryWarning', code: 'ASAP_INSECURE_KEY_REPOSITORY' },
  )
}

function readKeySource(value: unknown, allowInsecureHttp: boolean): KeySource {
  if (value === undefined || value === null || value === '') {
    throw new AsapMissingOptionError(
      'Missing keyRepository: set it to the base URL of the key repository, such as "https://keys.example.com/", a list of them, or a function from key ID to public key.',
      { field: 'keyRepository' },
    )
  }
  if (typeof value === 'function') {
    return { kind: 'function', lookUp: value as KeyRepositoryFunction }
  }

  const list = Array.isArray(value) ? value : [value]
  if (list.length === 0) {
    throw invalid('keyRepository', 'the list of key repository URLs is empty.')
  }
  const repositories = list.map((item: unknown, index) => {
    const field = Array.isArray(value) ? `keyRepository[${index}]` : 'keyRepository'
    try {
      return readRepositoryUrl(item, allowInsecureHttp)
    } catch (error) {
      throw invalid(field, `the URL ${describeUrl(item)}${(error as Error).message}.`)
    }
  })
  for (const url of repositories) {
    if (url.protocol === 'http:') {
      warnAboutInsecureUrl(url)
    }
  }
  return { kind: 'http', repositories }
}

function readReplayProtection(value: unknown): number | undefined {
  if (value === undefined || value === false) {
    return undefined
  }
  if (value === true) {
    return DEFAULT_REPLAY_CACHE_MAX_ENTRIES
  }
  if (typeof value !== 'object' || value === null) {
    throw invalid(
      'rejectReplayedJti',
      `expected true, false or { maxEntries }, got ${typeof value}.`,
    )
  }
  return readWholeNumber(
    (value as ReplayProtectionOptions).maxEntries,
    'rejectReplayedJti.maxEntries',
    { min: 1, max: 10_000_000, unit: 'entries' },
    DEFAULT_REPLAY_CACHE_MAX_ENTRIES,
  )
}

/**
 * Checks every option and applies the defaults.
 *
 * @throws {AsapMissingOptionError} when `audience` or `keyRepository` is missing.
 * @throws {AsapInvalidOptionError} when an option has the wrong type or is out of range, or is
 * not an option of the verifier at all.
 */
export function resolveVerifierOptions(options: VerifierOptions): VerifierSettings {
  if (typeof options !== 'object' || options === null) {
    throw invalid('options', 'createVerifier expects an options object.')
  }
  assertKnownOptions(options, [...knownOptions], 'createVerifier')
  if (options.audience === undefined || options.audience === '') {
    throw new AsapMissingOptionError(
      'Missing audience: set it to the identifier this service expects in the aud claim, such as "invoices".',
      { field: 'audience' },
    )
  }

  const audiences = readNameList(options.audience, 'audience', '"invoices"')
  const allowInsecureHttp = readBoolean(options.allowInsecureHttp, 'allowInsecureHttp', false)
  const keySource = readKeySource(options.keyRepository, allowInsecureHttp)
  const leeway = readWholeNumber(
    options.leeway,
    'leeway',
    { min: 0, max: MAX_LEEWAY, unit: 'seconds' },
    DEFAULT_LEEWAY,
  )
  const maxLifetime = readWholeNumber(
    options.maxLifetime,
    'maxLifetime',
    { min: 1, max: MAX_LIFETIME_SECONDS, unit: 'seconds' },
    MAX_LIFETIME_SECONDS,
  )
  const allowedIssuers =
    options.allowedIssuers === undefined
      ? undefined
      : new Set(readNameList(options.allowedIssuers, 'allowedIssuers', '["billing", "search"]'))

  return {
    claimRules: {
      audiences: new Set(audiences),
      leeway,
      maxLifetime,
      subjectMustMatchIssuer: readBoolean(
        options.subjectMustMatchIssuer,
        'subjectMustMatchIssuer',
        true,
      ),
      allowedIssuers,
    },
    keySource,
    timeout: readWholeNumber(
      options.timeout,
      'timeout',
      { min: 1, max: MAX_TIMEOUT, unit: 'milliseconds' },
      DEFAULT_TIMEOUT,
    ),
    dispatcher: readDispatcher(options.dispatcher),
    keyCacheTtl: readWholeNumber(
      options.keyCacheTtl,
      'keyCacheTtl',
      { min: 0, max: MAX_KEY_CACHE_TTL, unit: 'seconds' },
      DEFAULT_KEY_CACHE_TTL,
    ),
    missingKeyCacheTtl: readWholeNumber(
      options.missingKeyCacheTtl,
      'missingKeyCacheTtl',
      { min: 0, max: 3600, unit: 'seconds' },
      DEFAULT_MISSING_KEY_CACHE_TTL,
    ),
    keyCacheMaxEntries: readWholeNumber(
      options.keyCacheMaxEntries,
      'keyCacheMaxEntries',
      { min: 1, max: 1_000_000, unit: 'entries' },
      DEFAULT_KEY_CACHE_MAX_ENTRIES,
    ),
    missingKeyCacheMaxEntries: readWholeNumber(
      options.missingKeyCacheMaxEntries,
      'missingKeyCacheMaxEntries',
      { min: 1, max: 1_000_000, unit: 'entries' },
      DEFAULT_MISSING_KEY_CACHE_MAX_ENTRIES,
    ),
    maxConcurrentKeyFetches: readWholeNumber(
      options.maxConcurrentKeyFetches,
      'maxConcurrentKeyFetches',
      { min: 1, max: MAX_CONCURRENT_KEY_FETCHES, unit: 'lookups' },
      DEFAULT_MAX_CONCURRENT_KEY_FETCHES,
    ),
    replayCacheMaxEntries: readReplayProtection(options.rejectReplayedJti),
    clock: readClock(options.clock),
  }
}
