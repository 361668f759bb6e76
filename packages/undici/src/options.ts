/**
 * Options of the `asap()` interceptor and their validation.
 *
 * @module
 */

import {
  type AsapAdapterOptions,
  AsapInvalidOptionError,
  type AudienceResolver,
  normalizeOrigin,
  resolveAdapterOptions,
  type TokenProvider,
} from '@asap-auth/core'

/** Options of {@link asap}. */
export interface AsapInterceptorOptions extends AsapAdapterOptions {
  /**
   * Retry a request once with a new token when the server responds with 401 to the token this
   * interceptor attached. The 401 response is read to its end and discarded, so the caller
   * receives only the second response.
   *
   * Only idempotent requests are retried: methods GET, HEAD, OPTIONS, TRACE, PUT and DELETE, or any
   * request with `idempotent: true`, and never one with `idempotent: false`. The body must be
   * replayable: none, a string, a `Uint8Array` or `Buffer`, an `ArrayBuffer` or a `Blob`. Streams,
   * iterables, async iterables and `FormData` are sent once. Requests that fetch sends with a body
   * are never retried, because fetch passes every body as an async iterable.
   *
   * Whatever this option says, a 401 always drops the rejected token from the provider's cache,
   * so the next request gets a new one.
   *
   * @default true
   */
  retryOnUnauthorized?: boolean | undefined
  /**
   * The origin of the `Client` or `Pool` this interceptor is composed on, such as
   * `https://billing.internal:8443`. Leave it unset on an `Agent`.
   *
   * A `Client` or `Pool` sends every request to its own origin, whatever `opts.origin` names, and
   * undici 7 does not tell an interceptor that origin. With this option, a request without
   * `opts.origin` (`pool.request({ path, method })`) is treated as a request to this origin, and a
   * request whose `opts.origin` names another origin gets no token, because it would be sent here.
   * The same holds for redirect hops.
   *
   * > [!WARNING]
   * > Always set it on a `Client` or `Pool`. Without it, the interceptor takes `opts.origin` at its
   * > word, so a request that names another mapped origin, such as `request(url, { dispatcher:
   * > pool })` with a `url` on another host, or a `fetch` redirect, gets that origin's token, and
   * > the pool sends it to its own origin. Requests without `opts.origin` get no token.
   *
   * undici 8 fills in `opts.origin` of a `Client` or `Pool` before the interceptors run (as of
   * 8.10), and some releases also pass that origin to the interceptor factory, which this
   * interceptor reads in place of this option.
   */
  origin?: string | URL | undefined
  /**
   * Give a request that a redirect sends to another origin the token of that origin, when it is
   * mapped. Set it only on an `Agent`, which sends each request to the origin the request names.
   *
   * Without it, a redirect hop to an origin other than the one the request started at gets no
   * token, because the interceptor cannot tell an `Agent` from a `Client` or `Pool`. A `Client` or
   * `Pool` would send the hop to its own origin, so the server there would receive a token meant
   * for another service. Hops that stay on the first origin get a token either way.
   *
   * > [!WARNING]
   * > On a `Client` or `Pool`, this option lets any server the pool reaches collect tokens for
   * > every mapped origin by responding with a redirect. It cannot be combined with `origin`.
   *
   * @default false
   */
  signCrossOriginRedirects?: boolean | undefined
}

const interceptorOptionNames: Readonly<
  Record<Exclude<keyof AsapInterceptorOptions, keyof AsapAdapterOptions>, true>
> = { retryOnUnauthorized: true, origin: true, signCrossOriginRedirects: true }

/** {@link AsapInterceptorOptions} after validation. */
export interface ResolvedInterceptorOptions {
  readonly provider: TokenProvider
  readonly audience: AudienceResolver
  readonly replaceAuthorization: boolean
  readonly retryOnUnauthorized: boolean
  /** The normalised origin of the `Client` or `Pool`, or `undefined` on an `Agent`. */
  readonly origin: string | undefined
  readonly signCrossOriginRedirects: boolean
}

function readOrigin(value: unknown): string {
  if (typeof value !== 'string' && !(value instanceof URL)) {
    throw new AsapInvalidOptionError(
      `Invalid origin ${JSON.stringify(value)}: expected a string or URL such as "https://billing.internal:8443".`,
      { field: 'origin' },
    )
  }
  return normalizeOrigin(value, 'origin')
}

/**
 * Validates the interceptor options. The options every adapter shares go through
 * `resolveAdapterOptions` from `@asap-auth/core`.
 *
 * @throws {AsapError} a subclass with a stable `code` for each invalid option.
 */
export function resolveInterceptorOptions(
  options: AsapInterceptorOptions,
): ResolvedInterceptorOptions {
  const shared = resolveAdapterOptions(options, undefined, {
    name: 'asap',
    options: Object.keys(interceptorOptionNames),
  })

  const retryOnUnauthorized = options.retryOnUnauthorized ?? true
  if (typeof retryOnUnauthorized !== 'boolean') {
    throw new AsapInvalidOptionError(
      `Invalid retryOnUnauthorized ${JSON.stringify(retryOnUnauthorized)}: expected true or false.`,
      { field: 'retryOnUnauthorized' },
    )
  }

  const origin = options.origin === undefined ? undefined : readOrigin(options.origin)

  const signCrossOriginRedirects = options.signCrossOriginRedirects ?? false
  if (typeof signCrossOriginRedirects !== 'boolean') {
    throw new AsapInvalidOptionError(
      `Invalid signCrossOriginRedirects ${JSON.stringify(signCrossOriginRedirects)}: expected true or false.`,
      { field: 'signCrossOriginRedirects' },
    )
  }
  if (signCrossOriginRedirects && origin !== undefined) {
    throw new AsapInvalidOptionError(
      `Invalid signCrossOriginRedirects true together with origin ${origin}: the origin option is for a Client or Pool, which sends every redirect hop to ${origin}. Remove signCrossOriginRedirects, or remove origin if the dispatcher is an Agent.`,
      { field: 'signCrossOriginRedirects' },
    )
  }

  return {
    provider: shared.provider,
    audience: shared.audience,
    replaceAuthorization: shared.replaceAuthorization,
    retryOnUnauthorized,
    origin,
    signCrossOriginRedirects,
  }
}
