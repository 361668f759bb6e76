/**
 * The token provider: one signing per audience per token lifetime.
 *
 * Tokens are cached per audience, subject and per-call claims in a bounded LRU cache. A cached
 * token is handed out while more than the refresh margin of its life is left. Some time before
 * that point the provider signs the next token in the background and keeps serving the current
 * one, so callers on a warm cache never wait for a signing.
 *
 * @module
 */

import { inspect } from 'node:util'
import { LRUCache } from 'lru-cache'
import { deepFreeze, normalizeAudience, parseClaims } from './claims.js'
import { debug } from './debug.js'
import { AsapInvalidOptionError } from './errors.js'
import { assertKnownOptions } from './option-names.js'
import { quoteValue } from './quote.js'
import { createSigner, SIGNER_OPTION_NAMES, type SignerOptions } from './signer.js'
import type {
  Audience,
  Clock,
  InvalidateOptions,
  IssuedToken,
  Signer,
  SignOverrides,
  TokenProvider,
  TokenProviderStats,
} from './types.js'

/** Default number of cached tokens (one per audience, subject and claims combination). */
export const DEFAULT_MAX_TOKENS = 1000

/**
 * Default refresh margin in seconds: a token is never handed out with less than this much life
 * left. One minute covers the time a request spends in queues, retries and on the network, plus
 * a receiver whose clock runs up to about half a minute ahead of ours.
 */
export const DEFAULT_REFRESH_MARGIN = 60

/**
 * Default refresh window in seconds: this long before the margin is reached, the provider signs
 * the next token in the background while it keeps serving the current one.
 */
export const DEFAULT_REFRESH_AHEAD = 300

/** After a failed background refresh, the next attempt waits this many milliseconds. */
const REFRESH_RETRY_DELAY_MS = 1000

/** Options of {@link createTokenProvider}. */
export interface TokenProviderOptions {
  /**
   * Cache tokens. With `false`, every call signs a new token with a new `jti`, for receivers that
   * accept each `jti` only once. That costs one signing per request: about 0.1 to 2.5 ms of CPU,
   * by algorithm, in the benchmark of BENCHMARKS.md.
   *
   * @default true
   */
  cache?: boolean | undefined
  /**
   * Maximum number of cached tokens. When full, the least recently used token is dropped.
   *
   * @default 1000
   */
  max?: number | undefined
  /**
   * Seconds of validity a token must have left to be handed out. For tokens that live less than
   * four times this long, a quarter of the token's life is used instead, so that every token is
   * reused for at least half of its life.
   *
   * @default 60
   */
  refreshMargin?: number | undefined
  /**
   * Seconds before the refresh margin at which the next token is signed in the background. It is
   * likewise capped at a quarter of the token's life.
   *
   * @default 300
   */
  refreshAhead?: number | undefined
  /**
   * The time source. It must be the signer's clock, so when a signer is passed in, leave this
   * unset or pass the same object. When signer options are passed, it is given to the signer too.
   */
  clock?: Clock | undefined
}

const tokenProviderOptionNames: Readonly<Record<keyof TokenProviderOptions, true>> = {
  cache: true,
  max: true,
  refreshMargin: true,
  refreshAhead: true,
  clock: true,
}

/** Every option name of {@link TokenProviderOptions}. */
export const TOKEN_PROVIDER_OPTION_NAMES: readonly string[] = Object.freeze(
  Object.keys(tokenProviderOptionNames),
)

/**
 * Every option name of signer options merged with provider options, as `createTokenProvider` and
 * an adapter's `provider` option accept them. `clock` belongs to both.
 */
export const SIGNER_AND_PROVIDER_OPTION_NAMES: readonly string[] = Object.freeze([
  ...SIGNER_OPTION_NAMES,
  ...TOKEN_PROVIDER_OPTION_NAMES.filter((name) => !SIGNER_OPTION_NAMES.includes(name)),
])

/** A cached token, or a placeholder for one being signed. */
interface CacheEntry {
  readonly key: string
  /** Sorted, de-duplicated audience list joined for comparison by {@link TokenProvider.invalidate}. */
  readonly audienceKey: string
  readonly audience: Audience | undefined
  readonly overrides: SignOverrides | undefined
  token: string | undefined
  header: string | undefined
  jti: string
  expiresAt: number
  /** From this time on (ms) the token is no longer handed out. */
  staleAt: number
  /** From this time on (ms) the next token is signed in the background. */
  refreshAt: number
  /** A background refresh may not start before this time (ms). */
  retryAt: number
  /** The signing in progress for this entry, in the foreground or the background. */
  pending: Promise<CacheEntry> | undefined
}

const providerBrand = Symbol.for('asap-auth.token-provider')

/** Returns true when `value` is a {@link TokenProvider} from `createTokenProvider`, of any copy. */
export function isTokenProvider(value: unknown): value is TokenProvider {
  return typeof value === 'object' && value !== null && providerBrand in value
}

/** Returns true when `value` has the shape of a {@link Signer}, such as one from `createSigner`. */
export function isSigner(value: unknown): value is Signer {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Signer).issue === 'function' &&
    typeof (value as Signer).keyId === 'string'
  )
}

function readSeconds(value: unknown, field: string, fallback: number, max: number): number {
  if (value === undefined) {
    return fallback
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) {
    throw new AsapInvalidOptionError(
      `Invalid ${field} ${quoteValue(value)}: expected a number of seconds from 0 to ${max}.`,
      { field },
    )
  }
  return value
}

/**
 * Writes `value`, the output of `JSON.parse`, as JSON with object keys sorted, so equal claim
 * sets give equal text.
 */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonicalJson).join(',')}]`
  }
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>
    const members = Object.keys(record)
      .sort()
      .map((name) => `${JSON.stringify(name)}:${canonicalJson(record[name])}`)
    return `{${members.join(',')}}`
  }
  return JSON.stringify(value)
}

/** Marks overrides that the provider does not cache; the signer then accepts or rejects them. */
const UNSETTLED: unique symbol = Symbol('unsettled overrides')

/**
 * Returns `overrides` as the signer will write them, in a new object that the caller cannot
 * change. The claims are read as the signer reads them (an object, or a JSON string) and go
 * through one JSON round trip, so a `Date` becomes its ISO text and a getter is read once. The
 * cache key and every signing of the entry, in the background too, use this same copy.
 *
 * Returns `undefined` when nothing is overridden, and {@link UNSETTLED} for overrides that are
 * not an object, or claims that are neither a plain object nor a JSON object string or cannot be
 * written as JSON.
 */
function settleOverrides(overrides: unknown): SignOverrides | undefined | typeof UNSETTLED {
  if (overrides === undefined) {
    return undefined
  }
  if (typeof overrides !== 'object' || overrides === null) {
    return UNSETTLED
  }
  const { subject, claims } = overrides as SignOverrides
  if (claims === undefined) {
    return subject === undefined ? undefined : { subject }
  }
  let copy: Record<string, unknown>
  try {
    copy = JSON.parse(JSON.stringify(parseClaims(claims, 'claims'))) as Record<string, unknown>
  } catch {
    return UNSETTLED
  }
  if (subject === undefined && Object.keys(copy).length === 0) {
    return undefined
  }
  return { subject, claims: copy }
}

function audienceList(audience: Audience): string[] {
  const normalized = normalizeAudience(audience)
  return typeof normalized === 'string' ? [normalized] : [...normalized].sort()
}

/**
 * Returns the cache key of a request, for overrides from {@link settleOverrides}. A plain audience
 * string with no overrides is its own key,
 * so the common case allocates nothing. Every other key starts with a NUL character, which no
 * plain key does, so the two kinds never collide.
 */
function cacheKey(audience: Audience, overrides: SignOverrides | undefined): string {
  const plain = typeof audience === 'string' && audience.charCodeAt(0) !== 0
  if (plain && overrides === undefined) {
    return audience
  }

  const list = audienceList(audience)
  if (list.length === 1 && list[0]!.charCodeAt(0) !== 0 && overrides === undefined) {
    return list[0]!
  }
  const subject = overrides?.subject ?? null
  const claims = overrides?.claims === undefined ? null : canonicalJson(overrides.claims)
  return `\u0000${JSON.stringify([list, subject, claims])}`
}

/** Copies the members of `options` that `createSigner` accepts. */
function signerPart(options: SignerOptions & TokenProviderOptions): SignerOptions {
  const part: Record<string, unknown> = {}
  for (const name of SIGNER_OPTION_NAMES) {
    if (Object.hasOwn(options, name)) {
      part[name] = options[name as keyof SignerOptions]
    }
  }
  return part as unknown as SignerOptions
}

function resolveSignerAndOptions(
  signerOrOptions: Signer | (SignerOptions & TokenProviderOptions),
  options: TokenProviderOptions | undefined,
): { signer: Signer; options: TokenProviderOptions } {
  assertKnownOptions(
    options,
    TOKEN_PROVIDER_OPTION_NAMES,
    'the second argument of createTokenProvider',
  )
  if (isSigner(signerOrOptions)) {
    const settings = options ?? {}
    if (settings.clock !== undefined && settings.clock !== signerOrOptions.clock) {
      throw new AsapInvalidOptionError(
        'The clock option differs from the signer clock. Pass the clock to createSigner; the provider uses the signer clock.',
        { field: 'clock' },
      )
    }
    return { signer: signerOrOptions, options: settings }
  }
  if (typeof signerOrOptions !== 'object' || signerOrOptions === null) {
    throw new AsapInvalidOptionError(
      'createTokenProvider expects a Signer from createSigner(), or signer options such as { issuer, keyId, privateKey }.',
      { field: 'signer' },
    )
  }
  assertKnownOptions(signerOrOptions, SIGNER_AND_PROVIDER_OPTION_NAMES, 'createTokenProvider')
  const merged = { ...signerOrOptions, ...options }
  return { signer: createSigner(signerPart(merged)), options: merged }
}

/**
 * Creates a {@link TokenProvider}.
 *
 * @param signerOrOptions - A signer from `createSigner`, or signer options (which may also carry
 *   the provider options).
 * @param options - Cache settings; see {@link TokenProviderOptions}.
 *
 * @example One provider for a service, shared by every adapter
 * ```ts
 * const provider = createTokenProvider({
 *   issuer: 'billing',
 *   keyId: 'billing/key-1',
 *   privateKey: process.env.ASAP_PRIVATE_KEY!,
 * })
 * const authorization = await provider.getAuthorizationHeader('invoices')
 * ```
 *
 * @throws {AsapError} a subclass with a stable `code` for each invalid option.
 */
export function createTokenProvider(
  signerOrOptions: Signer | (SignerOptions & TokenProviderOptions),
  options?: TokenProviderOptions,
): TokenProvider {
  const resolved = resolveSignerAndOptions(signerOrOptions, options)
  const { signer } = resolved
  const settings = resolved.options

  const cacheEnabled = settings.cache ?? true
  if (typeof cacheEnabled !== 'boolean') {
    throw new AsapInvalidOptionError(
      `Invalid cache ${quoteValue(cacheEnabled)}: expected true or false.`,
      { field: 'cache' },
    )
  }
  const max = settings.max ?? DEFAULT_MAX_TOKENS
  if (!Number.isSafeInteger(max) || max < 1) {
    throw new AsapInvalidOptionError(
      `Invalid max ${quoteValue(max)}: expected a whole number of tokens, 1 or more.`,
      { field: 'max' },
    )
  }
  const margin =
    readSeconds(settings.refreshMargin, 'refreshMargin', DEFAULT_REFRESH_MARGIN, 3600) * 1000
  const ahead =
    readSeconds(settings.refreshAhead, 'refreshAhead', DEFAULT_REFRESH_AHEAD, 3600) * 1000
  const clock = signer.clock

  // NOTE: the cache uses no TTL. Validity is judged against each token's own expiry and the
  // injected clock, so lru-cache's separate clock cannot serve an expired token.
  const cache = new LRUCache<string, CacheEntry>({ max })
  const counters = { signed: 0, reused: 0, refreshed: 0, failed: 0, joined: 0 }

  function store(entry: CacheEntry, issued: IssuedToken): void {
    const now = clock.now()
    const life = issued.expiresAt - now
    const entryMargin = Math.min(margin, life / 4)
    const entryAhead = Math.min(ahead, life / 4)

    entry.token = issued.token
    entry.header = `Bearer ${issued.token}`
    entry.jti = issued.claims.jti
    entry.expiresAt = issued.expiresAt
    entry.staleAt = issued.expiresAt - entryMargin
    entry.refreshAt = entry.staleAt - entryAhead
    entry.retryAt = 0
  }

  function startSigning(entry: CacheEntry, background: boolean): Promise<CacheEntry> {
    const signing = signer.issue(entry.audience, entry.overrides).then(
      (issued) => {
        counters.signed++
        if (background) {
          counters.refreshed++
        }
        store(entry, issued)
        entry.pending = undefined
        debug(
          '%s token for audience %j: kid %s, jti %s, expires %s',
          background ? 'refreshed' : 'signed',
          issued.claims.aud,
          signer.keyId,
          issued.claims.jti,
          new Date(issued.expiresAt).toISOString(),
        )
        return entry
      },
      (error: unknown) => {
        counters.failed++
        entry.pending = undefined
        if (background) {
          entry.retryAt = clock.now() + REFRESH_RETRY_DELAY_MS
        } else if (entry.token === undefined && cache.peek(entry.key) === entry) {
          cache.delete(entry.key)
        }
        debug(
          '%s for audience %j failed: %s',
          background ? 'background refresh' : 'signing',
          entry.audience,
          (error as Error)?.message,
        )
        throw error
      },
    )
    entry.pending = signing
    if (background) {
      // No caller may be waiting on a background refresh. Its failure is counted and logged above.
      signing.catch(() => {})
    }
    return signing
  }

  /** Returns the entry when its token may be handed out now, starting a refresh when due. */
  function usableEntry(key: string): CacheEntry | undefined {
    const entry = cache.get(key)
    if (entry === undefined || entry.token === undefined) {
      return undefined
    }
    const now = clock.now()
    if (now >= entry.staleAt) {
      return undefined
    }
    if (now >= entry.refreshAt && entry.pending === undefined && now >= entry.retryAt) {
      startSigning(entry, true)
    }
    counters.reused++
    if (debug.enabled) {
      debug(
        'reused token for audience %j: kid %s, jti %s, expires %s',
        entry.audience,
        signer.keyId,
        entry.jti,
        new Date(entry.expiresAt).toISOString(),
      )
    }
    return entry
  }

  /** Waits for a token for `key`, joining a signing in progress or starting one. */
  function acquire(
    key: string,
    audience: Audience | undefined,
    overrides: SignOverrides | undefined,
  ): Promise<CacheEntry> {
    let entry = cache.get(key)
    if (entry?.pending !== undefined) {
      counters.joined++
      return entry.pending
    }
    if (entry === undefined) {
      // A copy, so that a caller who changes its array later cannot change what a background
      // refresh signs under this key.
      const ownAudience = Array.isArray(audience) ? Object.freeze([...audience]) : audience
      entry = {
        key,
        // keyFor() has validated the audience, so audienceList() cannot throw here.
        audienceKey: audienceList((ownAudience ?? signer.audience)!).join('\u0000'),
        audience: ownAudience,
        // settleOverrides() made this copy for this call alone; freezing it keeps it as it was.
        overrides: overrides === undefined ? undefined : deepFreeze(overrides),
        token: undefined,
        header: undefined,
        jti: '',
        expiresAt: 0,
        staleAt: 0,
        refreshAt: 0,
        retryAt: 0,
        pending: undefined,
      }
      cache.set(key, entry)
    }
    return startSigning(entry, false)
  }

  /** Returns the cache key, or `undefined` for an invalid audience, which the signer then rejects. */
  function keyFor(audience: Audience | undefined, overrides: SignOverrides | undefined) {
    const effective = audience ?? signer.audience
    if (effective === undefined || effective === '') {
      return undefined
    }
    try {
      return cacheKey(effective, overrides)
    } catch {
      return undefined
    }
  }

  async function signUncached(
    audience: Audience | undefined,
    overrides: SignOverrides | undefined,
  ): Promise<IssuedToken> {
    try {
      const issued = await signer.issue(audience, overrides)
      counters.signed++
      debug(
        'signed uncached token for audience %j: kid %s, jti %s, expires %s',
        issued.claims.aud,
        signer.keyId,
        issued.claims.jti,
        new Date(issued.expiresAt).toISOString(),
      )
      return issued
    } catch (error) {
      counters.failed++
      throw error
    }
  }

  /** Resolves to the token for `audience` and `overrides`, or to its `Authorization` value. */
  function obtain(
    audience: Audience | undefined,
    overrides: SignOverrides | undefined,
    asHeader: boolean,
  ): Promise<string> {
    const settled = cacheEnabled ? settleOverrides(overrides) : UNSETTLED
    const key = settled === UNSETTLED ? undefined : keyFor(audience, settled)
    if (key === undefined) {
      return signUncached(audience, overrides).then((issued) =>
        asHeader ? `Bearer ${issued.token}` : issued.token,
      )
    }
    const entry = usableEntry(key)
    if (entry !== undefined) {
      return Promise.resolve(asHeader ? entry.header! : entry.token!)
    }
    return acquire(key, audience, settled as SignOverrides | undefined).then((signed) =>
      asHeader ? signed.header! : signed.token!,
    )
  }

  function peekAuthorizationHeader(
    audience?: Audience,
    overrides?: SignOverrides,
  ): string | undefined {
    const settled = cacheEnabled ? settleOverrides(overrides) : UNSETTLED
    const key = settled === UNSETTLED ? undefined : keyFor(audience, settled)
    return key === undefined ? undefined : usableEntry(key)?.header
  }

  function invalidate(audience?: Audience, options?: InvalidateOptions): void {
    const given = options?.token
    const token = given?.startsWith('Bearer ') ? given.slice(7) : given
    const audienceKey = audience === undefined ? undefined : audienceList(audience).join('\u0000')
    if (audienceKey === undefined && token === undefined) {
      cache.clear()
      debug('invalidated every cached token')
      return
    }
    for (const [key, entry] of cache.entries()) {
      const audienceMatches = audienceKey === undefined || entry.audienceKey === audienceKey
      const tokenMatches = token === undefined || entry.token === token
      if (audienceMatches && tokenMatches) {
        cache.delete(key)
        debug('invalidated token for audience %j: jti %s', entry.audience, entry.jti)
      }
    }
  }

  const provider = {
    signer,
    getToken: (audience?: Audience, overrides?: SignOverrides) =>
      obtain(audience, overrides, false),
    getAuthorizationHeader: (audience?: Audience, overrides?: SignOverrides) =>
      obtain(audience, overrides, true),
    peekAuthorizationHeader,
    invalidate,
    stats: (): TokenProviderStats => ({ ...counters, cached: cache.size }),
    [inspect.custom]: () =>
      `TokenProvider ${inspect({ keyId: signer.keyId, stats: provider.stats() })}`,
    toJSON: () => ({ keyId: signer.keyId, stats: provider.stats() }),
  }
  Object.defineProperty(provider, providerBrand, { value: true })
  return Object.freeze(provider)
}
