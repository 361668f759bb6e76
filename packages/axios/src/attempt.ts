/**
 * The state of one attempt to send a request: where its token went on each redirect hop, and
 * whether it is the retry after a 401.
 *
 * axios copies the config more than once between the request interceptor, the adapter and the
 * response interceptors, so the state cannot be keyed by the config object. It travels instead
 * with two functions the interceptor puts on the config, a `transformRequest` entry and the
 * `beforeRedirect` hook. axios copies both by reference, and so does code that spreads the config
 * into a new object. Either one leads back to the attempt.
 *
 * @module
 */

import type { AsapRequestOptions, Audience } from '@asap-auth/core'
import type { AxiosRequestConfig, AxiosRequestTransformer, InternalAxiosRequestConfig } from 'axios'
import { readAuthorization, requestHeaders } from './headers.js'
import type { Inspector } from './redact.js'
import type { RequestTarget } from './request-url.js'

/** The `beforeRedirect` hook of an axios config. */
export type BeforeRedirect = NonNullable<AxiosRequestConfig['beforeRedirect']>

/**
 * The source of a hop's `Authorization` header: this adapter, the caller (an explicit header or
 * credentials), or none.
 */
type HopAuthorization = 'asap' | 'caller' | 'none'

/** One request of a redirect chain, as far as its `Authorization` header is concerned. */
export interface Hop {
  readonly origin: string
  /** The mapped audience of the hop's origin, or `undefined` when the origin is not mapped. */
  readonly audience: Audience | undefined
  readonly authorization: HopAuthorization
  /** The `Authorization` value this adapter set, when `authorization` is `asap`. */
  readonly header?: string | undefined
  /**
   * The signing started for `audience` because no token was cached when the redirect happened.
   * It resolves, never rejects, when the signing ends.
   */
  readonly pending?: Promise<void> | undefined
}

/** The state of one attempt to send a request. */
export interface Attempt {
  /** The origin of the request before any redirect. */
  readonly origin: string
  /**
   * The config's `url`, `baseURL`, `allowAbsoluteUrls` and `socketPath` when the origin was
   * resolved. While they are unchanged, the origin is too, and the URL guard need not parse again.
   */
  readonly target: RequestTarget
  /** The request method in upper case. */
  readonly method: string
  /**
   * `config.asap` of the request. Its audience, subject and claims apply to hops to
   * {@link Attempt.origin} only. A hop to another origin gets a token for that origin's mapped
   * audience with the signer's own subject and claims.
   */
  readonly requestOptions: AsapRequestOptions | undefined
  /** True when this attempt is the retry after a 401. */
  readonly isRetry: boolean
  /** The caller's own `beforeRedirect`, called after the adapter's hook. */
  readonly userBeforeRedirect: BeforeRedirect | undefined
  /** The `Authorization` value this adapter put on the request before any redirect. */
  firstHeader: string | undefined
  /**
   * Every `Authorization` value (`Bearer <token>`) this adapter sent in this attempt, kept to hide
   * the tokens from `util.inspect` output. The values are the provider's own strings, which keep
   * their hash, so adding one costs little.
   */
  readonly headers: Set<string>
  /** The inspect method that hides those tokens, shared by every object of this attempt. */
  inspector?: Inspector | undefined
  /** The latest hop: the request itself until the first redirect. */
  hop: Hop
  /** The number of redirects followed so far. */
  redirects: number
  /** Set when the response interceptor has started the retry of this attempt. */
  retryStarted: boolean
}

/**
 * The property that links a carrier to its attempt. A symbol of this module, so no other code
 * can set it by accident. A property costs less per request than a `WeakMap` entry, which the
 * garbage collector must treat as an ephemeron.
 */
const ATTEMPT: unique symbol = Symbol('asap attempt')

/** A function the interceptor puts on the config, linked to its attempt. */
interface Carrier {
  [ATTEMPT]?: Attempt
}

/** Records that `carrier`, a function the interceptor puts on the config, belongs to `attempt`. */
export function registerCarrier(carrier: object, attempt: Attempt): void {
  ;(carrier as Carrier)[ATTEMPT] = attempt
}

function attemptOf(value: unknown): Attempt | undefined {
  return typeof value === 'function' ? (value as Carrier)[ATTEMPT] : undefined
}

function transformerList(value: unknown): AxiosRequestTransformer[] {
  if (Array.isArray(value)) {
    return value
  }
  return typeof value === 'function' ? [value as AxiosRequestTransformer] : []
}

/** Returns the attempt that last prepared `config`, or `undefined` when there is none. */
export function findAttempt(config: AxiosRequestConfig | undefined): Attempt | undefined {
  if (config === undefined || config === null) {
    return undefined
  }
  const fromHook = attemptOf(config.beforeRedirect)
  if (fromHook !== undefined) {
    return fromHook
  }
  for (const transformer of transformerList(config.transformRequest)) {
    const attempt = attemptOf(transformer)
    if (attempt !== undefined) {
      return attempt
    }
  }
  return undefined
}

/**
 * Removes what an earlier attempt left on `config`. That happens when a config is sent again: the
 * retry after a 401, or a caller re-sending `error.config`.
 *
 * The attempt's `transformRequest` entry goes, and the caller's own `beforeRedirect` is put back
 * in place of the hook. The earlier token goes too, because it was made for that attempt's
 * origin and must not be mistaken for a header the caller set.
 *
 * @returns The earlier attempt, or `undefined` when the config carries none.
 */
export function detachAttempt(config: InternalAxiosRequestConfig): Attempt | undefined {
  const previous = findAttempt(config)
  if (previous === undefined) {
    return undefined
  }

  if (config.transformRequest !== undefined) {
    config.transformRequest = transformerList(config.transformRequest).filter(
      (transformer) => attemptOf(transformer) === undefined,
    )
  }
  if (attemptOf(config.beforeRedirect) !== undefined) {
    config.beforeRedirect = previous.userBeforeRedirect
  }

  const headers = requestHeaders(config)
  const header = readAuthorization(headers)
  if (typeof header === 'string' && header === previous.firstHeader) {
    headers.delete('authorization')
  }
  return previous
}

/** Puts the attempt's `transformRequest` entry and `beforeRedirect` hook on `config`. */
export function attachAttempt(
  config: InternalAxiosRequestConfig,
  guard: AxiosRequestTransformer,
  hook: BeforeRedirect,
): void {
  config.transformRequest = [...transformerList(config.transformRequest), guard]
  config.beforeRedirect = hook
}
