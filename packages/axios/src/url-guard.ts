/**
 * A last check, right before axios hands the request to its adapter, that the token still goes
 * to the origin it was made for.
 *
 * Request interceptors that run after the ASAP interceptor may change `url` or `baseURL`. axios
 * runs `transformRequest` after every interceptor, with the final config as `this`, so a
 * `transformRequest` entry is the last place to check where the request will go.
 *
 * @module
 */

import type { AxiosRequestTransformer, InternalAxiosRequestConfig } from 'axios'
import { type Attempt, registerCarrier } from './attempt.js'
import { debug } from './debug.js'
import { AsapUrlChangedError } from './errors.js'
import { resolveRequestUrl } from './request-url.js'

/**
 * Creates the `transformRequest` entry of an attempt. It passes the body through unchanged, and
 * throws {@link AsapUrlChangedError} when the request carries this attempt's token but its origin
 * is no longer the one the token was made for.
 */
export function createUrlGuard(attempt: Attempt): AxiosRequestTransformer {
  const guard = function asapUrlGuard(
    this: InternalAxiosRequestConfig,
    data: unknown,
    headers: InternalAxiosRequestConfig['headers'],
  ): unknown {
    const header = attempt.firstHeader
    if (header === undefined || headers.get('authorization') !== header) {
      return data
    }

    const { target } = attempt
    if (
      this.url === target.url &&
      this.baseURL === target.baseURL &&
      this.allowAbsoluteUrls === target.allowAbsoluteUrls &&
      this.socketPath === target.socketPath
    ) {
      return data
    }
    const origin = resolveRequestUrl(this)?.origin
    if (origin !== attempt.origin) {
      debug('rejected request: origin changed from %s to %s after signing', attempt.origin, origin)
      throw new AsapUrlChangedError(
        `The request URL changed from origin ${attempt.origin} to ${origin ?? 'an unparsable URL'} after the ASAP interceptor added a token for ${attempt.origin}, so the request was not sent. Change url and baseURL before the ASAP interceptor runs: axios runs request interceptors in reverse order of registration unless transitional.legacyInterceptorReqResOrdering is false.`,
      )
    }
    return data
  }
  registerCarrier(guard, attempt)
  return guard
}
