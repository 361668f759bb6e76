/**
 * Option handling shared by the HTTP client adapters (`@asap-auth/axios`, `@asap-auth/undici`):
 * which origin gets a token for which audience, and where tokens come from.
 *
 * A token is only ever attached to a request whose origin the user mapped to an audience. Every
 * adapter resolves the audience through {@link resolveAdapterOptions} so the rule is written once.
 *
 * @module
 */

import { describeValue, isAudienceValue, isPlainObject } from './claims.js'
import { AsapError, AsapInvalidOptionError, AsapMissingOptionError } from './errors.js'
import { assertKnownOptions } from './option-names.js'
import { quoteValue } from './quote.js'
import type { SignerOptions } from './signer.js'
import {
  createTokenProvider,
  isSigner,
  isTokenProvider,
  SIGNER_AND_PROVIDER_OPTION_NAMES,
  type TokenProviderOptions,
} from './token-provider.js'
import type { Audience, SignOverrides, TokenProvider } from './types.js'

/** The request passed to an audience function. */
export interface AudienceTarget {
  /**
   * The request's origin as the HTTP client gives it, such as `https://billing.internal:8443`.
   * axios, undici and fetch write it as `URL.origin` does; a caller of `dispatch()` may not.
   */
  readonly origin: string
  /** The path and query, such as `/invoices?page=2`. */
  readonly path: string
  /** The HTTP method in upper case. */
  readonly method: string
}

/**
 * Returns the audience for a request, or `undefined` to send the request without a token. It is
 * called for every request, so keep it cheap and side-effect free.
 */
export type AudienceFunction = (target: AudienceTarget) => Audience | undefined

/**
 * Which requests get a token, and for which audience:
 * - an object or `Map` from origin (`https://billing.internal:8443`) to audience;
 * - a function of the request that returns an audience or `undefined`;
 * - a single audience string, which binds to the one origin the adapter is given (for axios, the
 *   origin of the instance's `baseURL`).
 */
export type AudienceOption =
  | Readonly<Record<string, Audience>>
  | ReadonlyMap<string, Audience>
  | AudienceFunction
  | string

/** The source of an adapter's tokens: a provider, or signer options to create one from. */
export type ProviderOption = TokenProvider | (SignerOptions & TokenProviderOptions)

/** Options every adapter accepts. */
export interface AsapAdapterOptions {
  /**
   * The token provider, or signer options from which a provider with default cache settings is
   * created. Share one provider between adapters so they share the cache.
   */
  provider: ProviderOption
  /** The mapping from request origins to audiences. See {@link AudienceOption}. */
  audience: AudienceOption
  /**
   * Replace an `Authorization` header that the request already carries. By default a request that
   * already has one keeps it and gets no ASAP token, because the caller set it on purpose.
   *
   * @default false
   */
  replaceAuthorization?: boolean | undefined
}

const adapterOptionNames: Readonly<Record<keyof AsapAdapterOptions, true>> = {
  provider: true,
  audience: true,
  replaceAuthorization: true,
}

/** An adapter's name and its own option names, for {@link resolveAdapterOptions}. */
export interface AdapterDescription {
  /** The function a user calls to set up the adapter, such as `withAsap`. */
  readonly name: string
  /** The option names the adapter accepts in addition to those of {@link AsapAdapterOptions}. */
  readonly options: readonly string[]
}

/** Per-request settings, given as `config.asap` (axios) or `opts.asap` (undici). */
export interface AsapRequestOptions extends SignOverrides {
  /**
   * The audience for this request, in place of the mapped one. The request's origin must still
   * be mapped: a token never goes to an origin the adapter options do not name.
   */
  audience?: Audience | undefined
}

const REQUEST_OPTION_NAMES: ReadonlySet<string> = new Set(['audience', 'subject', 'claims'])

/**
 * Validates a per-request `asap` setting as an adapter receives it. Returns `false` for a request
 * that opts out, `undefined` when nothing is set (`undefined` or `null`), and the options
 * otherwise.
 *
 * `claims` must be a plain object, and `claims.aud` is rejected: a per-request audience goes
 * through `audience`, which is only honoured for a mapped origin.
 *
 * @param value - The `asap` value of the request.
 * @param where - Where the value was found, for the message, such as `the request config`.
 * @throws {AsapInvalidOptionError} when the value is not `false`, `undefined`, `null` or an object
 *   with only `audience`, `subject` and `claims`, when `claims` is not a plain object, or when
 *   `claims` sets `aud`.
 */
export function readRequestOptions(
  value: unknown,
  where: string,
): false | AsapRequestOptions | undefined {
  if (value === undefined || value === null || value === false) {
    return value === false ? false : undefined
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new AsapInvalidOptionError(
      `Invalid asap option (${describeValue(value)}) in ${where}: expected false, or an object such as { audience: "billing" } with audience, subject or claims.`,
      { field: 'asap' },
    )
  }
  for (const key of Object.keys(value)) {
    if (!REQUEST_OPTION_NAMES.has(key)) {
      throw new AsapInvalidOptionError(
        `Unknown key ${JSON.stringify(key)} in the asap option of ${where}. Use only audience, subject and claims.`,
        { field: `asap.${key}` },
      )
    }
  }
  const claims: unknown = (value as AsapRequestOptions).claims
  if (claims === undefined) {
    return value as AsapRequestOptions
  }
  if (!isPlainObject(claims)) {
    // A JSON string is refused too: checking its members would mean parsing it per request.
    throw new AsapInvalidOptionError(
      `Invalid asap.claims (${describeValue(claims)}) in ${where}: expected a plain object such as { tenant: "acme" }.`,
      { field: 'asap.claims' },
    )
  }
  if (Object.hasOwn(claims, 'aud')) {
    throw new AsapInvalidOptionError(
      `The asap option of ${where} sets claims.aud, which is not accepted. Set asap.audience instead: it applies only to a request whose origin is mapped.`,
      { field: 'asap.claims.aud' },
    )
  }
  return value as AsapRequestOptions
}

/** Methods that RFC 9110, section 9.2.2, defines as idempotent. */
const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'OPTIONS',
  'TRACE',
  'PUT',
  'DELETE',
])

/**
 * Returns true when sending a request with `method` twice has the effect of sending it once, so
 * an adapter may retry it after a 401.
 */
export function isIdempotentMethod(method: string): boolean {
  return IDEMPOTENT_METHODS.has(method.toUpperCase())
}

/** Resolves the audience of a request from its origin. */
export interface AudienceResolver {
  /**
   * Returns the audience for a request to `origin`, or `undefined` when the origin is not mapped.
   * `origin` should be normalised as `URL.origin` returns it; other spellings are normalised
   * first, at the cost of parsing.
   */
  resolve(origin: string, path: string, method: string): Audience | undefined
}

/** {@link AsapAdapterOptions} after validation. */
export interface ResolvedAdapterOptions {
  readonly provider: TokenProvider
  readonly audience: AudienceResolver
  readonly replaceAuthorization: boolean
}

/**
 * A request's origin is not mapped to an audience, but the request asked for a token.
 * Code `ERR_ASAP_ORIGIN_NOT_MAPPED`.
 */
export class AsapOriginNotMappedError extends AsapError {
  static readonly code = 'ERR_ASAP_ORIGIN_NOT_MAPPED'
  constructor(message: string, options?: { field?: string }) {
    super(AsapOriginNotMappedError.code, message, options)
  }
}

/**
 * Returns `value` as `URL.origin` writes it (lower-case scheme and host, no default port).
 *
 * @throws {AsapInvalidOptionError} when `value` is not an `http:` or `https:` origin, or carries
 * a path, query, fragment or credentials.
 */
export function normalizeOrigin(value: string | URL, field = 'audience'): string {
  let url: URL
  try {
    url = value instanceof URL ? value : new URL(String(value))
  } catch (cause) {
    throw new AsapInvalidOptionError(
      `Invalid origin ${JSON.stringify(String(value))} in ${field}: expected an origin such as "https://billing.internal:8443".`,
      { field, cause },
    )
  }
  const bare = url.pathname === '/' && url.search === '' && url.hash === ''
  if (
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    !bare ||
    url.username ||
    url.password
  ) {
    throw new AsapInvalidOptionError(
      `Invalid origin ${JSON.stringify(String(value))} in ${field}: expected only scheme, host and port, such as "https://billing.internal:8443", with no path, query or credentials.`,
      { field },
    )
  }
  return url.origin
}

/** Returns the origin of a full URL such as an axios `baseURL`, which may carry a path. */
function originOf(url: string | URL, field: string): string {
  try {
    return normalizeOrigin(new URL(String(url)).origin, field)
  } catch (cause) {
    throw new AsapInvalidOptionError(
      `Invalid base URL ${JSON.stringify(String(url))} for the single audience in ${field}: expected an absolute http: or https: URL.`,
      { field, cause },
    )
  }
}

function checkAudienceValue(value: unknown, field: string): Audience {
  if (!isAudienceValue(value)) {
    throw new AsapInvalidOptionError(
      `Invalid audience ${quoteValue(value)} in ${field}: expected a non-empty string or a non-empty list of strings.`,
      { field },
    )
  }
  return value as Audience
}

function originMap(entries: Iterable<[string, unknown]>, field: string): Map<string, Audience> {
  const map = new Map<string, Audience>()
  for (const [origin, audience] of entries) {
    const normalized = normalizeOrigin(origin, field)
    if (map.has(normalized)) {
      throw new AsapInvalidOptionError(
        `The origin ${JSON.stringify(origin)} appears twice in ${field} (as ${normalized}). Keep one entry per origin.`,
        { field },
      )
    }
    map.set(normalized, checkAudienceValue(audience, `${field}[${JSON.stringify(origin)}]`))
  }
  if (map.size === 0) {
    throw new AsapMissingOptionError(
      `The ${field} map is empty: map at least one origin to an audience, such as { "https://billing.internal": "billing" }.`,
      { field },
    )
  }
  return map
}

/** Maximum number of canonical unmapped origins one resolver remembers, so their lookups skip parsing. */
const MAX_REMEMBERED_UNMAPPED = 256

/** Creates the lookup of a request origin in `map`, whose keys are origins as `URL.origin` writes them. */
function createOriginLookup(
  map: ReadonlyMap<string, Audience>,
): (origin: string) => Audience | undefined {
  // Origins already in the form URL.origin writes, and not mapped. Requests to a few unmapped
  // services then cost one Set lookup each instead of a URL parse.
  const unmapped = new Set<string>()

  return function lookUpOrigin(origin) {
    const audience = map.get(origin)
    if (audience !== undefined || unmapped.has(origin)) {
      return audience
    }
    // Only a spelling that URL.origin would change can still match.
    let normalized: string
    try {
      normalized = new URL(origin).origin
    } catch {
      return undefined
    }
    if (normalized !== origin) {
      return map.get(normalized)
    }
    if (unmapped.size >= MAX_REMEMBERED_UNMAPPED) {
      unmapped.clear()
    }
    unmapped.add(origin)
    return undefined
  }
}

/**
 * Creates the resolver for an {@link AudienceOption}.
 *
 * @param defaultOrigin - The origin a single audience string binds to, such as an axios
 *   instance's `baseURL`. Without it, a single string is rejected.
 * @throws {AsapInvalidOptionError} or {@link AsapMissingOptionError} for an invalid option.
 */
export function createAudienceResolver(
  option: AudienceOption,
  defaultOrigin?: string | URL,
  field = 'audience',
): AudienceResolver {
  if (typeof option === 'function') {
    return {
      resolve: (origin, path, method) => {
        const audience = option({ origin, path, method })
        return audience === undefined ? undefined : checkAudienceValue(audience, field)
      },
    }
  }

  let map: Map<string, Audience>
  if (typeof option === 'string') {
    if (defaultOrigin === undefined) {
      throw new AsapInvalidOptionError(
        `A single audience string (${JSON.stringify(option)}) needs an origin to bind to. Map origins to audiences instead, such as { "https://billing.internal": ${JSON.stringify(option)} }.`,
        { field },
      )
    }
    map = originMap([[originOf(defaultOrigin, field), option]], field)
  } else if (option instanceof Map) {
    map = originMap(option.entries(), field)
  } else if (typeof option === 'object' && option !== null) {
    map = originMap(Object.entries(option), field)
  } else {
    throw new AsapMissingOptionError(
      `Missing ${field}: map origins to audiences, such as { "https://billing.internal": "billing" }, or give a function of the request.`,
      { field },
    )
  }
  const lookUpOrigin = createOriginLookup(map)
  return { resolve: (origin) => lookUpOrigin(origin) }
}

/**
 * Returns the audience a request should carry a token for, or `undefined` to send it untouched.
 *
 * @throws {AsapOriginNotMappedError} when `override.audience` is set for an origin that is not
 *   mapped, because the token would go to an origin the user never named.
 */
export function resolveRequestAudience(
  resolver: AudienceResolver,
  origin: string,
  path: string,
  method: string,
  override?: AsapRequestOptions,
): Audience | undefined {
  const mapped = resolver.resolve(origin, path, method)
  if (override?.audience === undefined) {
    return mapped
  }
  if (mapped === undefined) {
    throw new AsapOriginNotMappedError(
      `The request to ${origin} sets an ASAP audience, but ${origin} is not mapped to an audience in the adapter options. Add the origin to the audience map.`,
      { field: 'asap.audience' },
    )
  }
  return override.audience
}

/**
 * Validates the options every adapter shares and creates the provider when signer options are
 * given. An option name that neither {@link AsapAdapterOptions} nor `adapter.options` lists is
 * rejected, and so is one in signer options given as `provider` that neither `createSigner` nor
 * `createTokenProvider` accepts.
 *
 * @param defaultOrigin - The origin a single audience string binds to.
 * @param adapter - The adapter's name and its own option names. By default the adapter is named
 *   "the ASAP adapter" and has no options of its own.
 * @throws {AsapError} a subclass with a stable `code` for each invalid option.
 */
export function resolveAdapterOptions(
  options: AsapAdapterOptions,
  defaultOrigin?: string | URL,
  adapter: AdapterDescription = { name: 'the ASAP adapter', options: [] },
): ResolvedAdapterOptions {
  if (typeof options !== 'object' || options === null) {
    throw new AsapInvalidOptionError('Expected an options object with provider and audience.', {
      field: 'options',
    })
  }
  const known = [...Object.keys(adapterOptionNames), ...adapter.options]
  const misplaced = Object.keys(options).filter(
    (name) => !known.includes(name) && SIGNER_AND_PROVIDER_OPTION_NAMES.includes(name),
  )
  if (misplaced.length > 0) {
    const names = misplaced.map((name) => JSON.stringify(name)).join(', ')
    throw new AsapInvalidOptionError(
      `${names} ${misplaced.length === 1 ? 'is a signer option' : 'are signer options'}, not an option of ${adapter.name}. Put signer options under provider, such as { provider: { issuer, keyId, privateKey }, audience }.`,
      { field: misplaced[0]! },
    )
  }
  assertKnownOptions(options, known, adapter.name)
  if (options.provider === undefined || options.provider === null) {
    throw new AsapMissingOptionError(
      'Missing provider: give a TokenProvider from createTokenProvider(), or signer options such as { issuer, keyId, privateKey }.',
      { field: 'provider' },
    )
  }
  const replace = options.replaceAuthorization ?? false
  if (typeof replace !== 'boolean') {
    throw new AsapInvalidOptionError(
      `Invalid replaceAuthorization ${quoteValue(replace)}: expected true or false.`,
      { field: 'replaceAuthorization' },
    )
  }

  if (typeof options.provider !== 'object') {
    throw new AsapInvalidOptionError(
      `Invalid provider (${typeof options.provider}): expected a TokenProvider from createTokenProvider(), or signer options such as { issuer, keyId, privateKey }. A key given as text goes in privateKey.`,
      { field: 'provider' },
    )
  }

  const audience = createAudienceResolver(options.audience, defaultOrigin)
  // createTokenProvider also takes a Signer at run time, whose members are not option names.
  if (!isTokenProvider(options.provider) && !isSigner(options.provider)) {
    assertKnownOptions(
      options.provider,
      SIGNER_AND_PROVIDER_OPTION_NAMES,
      'provider (signer and token provider options)',
      'provider',
    )
  }
  const provider = isTokenProvider(options.provider)
    ? options.provider
    : createTokenProvider(options.provider)
  return { provider, audience, replaceAuthorization: replace }
}
