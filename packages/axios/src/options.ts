/**
 * The adapter options, the per-request `config.asap` option and its type augmentation of axios.
 *
 * @module
 */

import {
  type AsapAdapterOptions,
  AsapInvalidOptionError,
  type AsapRequestOptions,
  type ResolvedAdapterOptions,
  readRequestOptions as readSharedRequestOptions,
  resolveAdapterOptions,
} from '@asap-auth/core'

/** Options of {@link withAsap}. */
export interface AsapAxiosOptions extends AsapAdapterOptions {
  /**
   * After a `401` response to a request that carried an ASAP token, drop that token from the cache
   * and send the request once more with a new token. A request is retried at most once, and only
   * when its body can be sent again (see the package README for the exact rules).
   *
   * @default true
   */
  retryOnUnauthorized?: boolean | undefined
}

const axiosOptionNames: Readonly<
  Record<Exclude<keyof AsapAxiosOptions, keyof AsapAdapterOptions>, true>
> = { retryOnUnauthorized: true }

/** {@link AsapAxiosOptions} after validation. */
export interface ResolvedAxiosOptions extends ResolvedAdapterOptions {
  readonly retryOnUnauthorized: boolean
}

declare module 'axios' {
  // The type parameters must repeat those of axios's own declaration (axios 1.19 and later).
  // biome-ignore lint/suspicious/noExplicitAny: declaration merging needs axios's exact defaults
  interface AxiosRequestConfig<D = any, P = any> {
    /**
     * ASAP settings for this request: `false` sends it without a token, an object sets the
     * audience, subject or extra claims of its token. axios merges an object given here into an
     * object in the instance defaults, member by member, so a per-request `{ subject }` keeps the
     * default `claims`.
     */
    asap?: false | AsapRequestOptions | undefined
  }
}

/**
 * Validates `config.asap`. Returns `false` for a request that opts out, and `undefined` when
 * nothing is set.
 *
 * @throws {AsapInvalidOptionError} when the value is not `false`, `undefined` or an object with
 *   only `audience`, `subject` and `claims`, or when `claims` sets `aud`.
 */
export function readRequestOptions(value: unknown): false | AsapRequestOptions | undefined {
  return readSharedRequestOptions(value, 'the request config')
}

/**
 * Validates the options of {@link withAsap} and creates the provider when signer options are
 * given.
 *
 * @param defaultOrigin - The origin a single audience string binds to: the origin of the axios
 *   instance's `baseURL`.
 * @throws {AsapError} a subclass with a stable `code` for each invalid option.
 */
export function resolveAxiosOptions(
  options: AsapAxiosOptions,
  defaultOrigin?: string,
): ResolvedAxiosOptions {
  const resolved = resolveAdapterOptions(options, defaultOrigin, {
    name: 'withAsap',
    options: Object.keys(axiosOptionNames),
  })

  const retry = options.retryOnUnauthorized ?? true
  if (typeof retry !== 'boolean') {
    throw new AsapInvalidOptionError(
      `Invalid retryOnUnauthorized ${JSON.stringify(retry)}: expected true or false.`,
      { field: 'retryOnUnauthorized' },
    )
  }
  return { ...resolved, retryOnUnauthorized: retry }
}
