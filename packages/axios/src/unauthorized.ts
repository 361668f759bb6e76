/**
 * The response interceptor: one retry with a new token after a 401, and tokens kept out of
 * `util.inspect` output of responses and errors.
 *
 * @module
 */

import { ClientRequest } from 'node:http'
import { isIdempotentMethod } from '@asap-auth/core'
import type { AxiosError, AxiosInstance, AxiosResponse, InternalAxiosRequestConfig } from 'axios'
import { type Attempt, findAttempt } from './attempt.js'
import { debug } from './debug.js'
import type { ResolvedAxiosOptions } from './options.js'
import { hideTokensFromInspect } from './redact.js'
import { isReplayableBody } from './replay.js'

/** The two handlers of the response interceptor. */
interface AsapResponseHandlers {
  onFulfilled(response: AxiosResponse): AxiosResponse | Promise<AxiosResponse>
  onRejected(error: unknown): Promise<AxiosResponse>
}

type RetryDecision =
  | { readonly retry: true; ready: Promise<void> }
  | { readonly retry: false; reason: string }

function isAxiosError(value: unknown): value is AxiosError {
  return typeof value === 'object' && value !== null && (value as AxiosError).isAxiosError === true
}

/**
 * Returns true when the attempt's redirect count is known to be complete. axios's Node HTTP
 * adapter returns the final `http.ClientRequest` as `response.request` and reports every redirect
 * through the `beforeRedirect` hook. Other adapters (fetch, HTTP/2, custom ones) follow redirects
 * without calling the hook.
 */
function redirectsAreReported(response: AxiosResponse): boolean {
  // NOTE: a custom `transport` that follows redirects also returns an http.ClientRequest, but
  // axios does not pass it the hook, so its redirects go uncounted here.
  return response.request instanceof ClientRequest
}

/**
 * Decides whether the attempt that got `response` (a 401) is retried, and if so drops the rejected
 * token from the cache. The retry resends the whole request from its first hop, so a request that
 * was redirected, or may have been, is retried only when its method is idempotent: its first hop
 * has already been processed by a server.
 */
function decideRetry(
  attempt: Attempt,
  options: ResolvedAxiosOptions,
  response: AxiosResponse,
): RetryDecision {
  if (!options.retryOnUnauthorized) {
    return { retry: false, reason: 'retryOnUnauthorized is false' }
  }
  if (attempt.isRetry || attempt.retryStarted) {
    return { retry: false, reason: 'the request was already retried once' }
  }
  const hop = attempt.hop
  if (hop.authorization !== 'asap' && hop.pending === undefined) {
    return { retry: false, reason: 'the response came from a request without an ASAP token' }
  }
  if (!isReplayableBody(response.config.data)) {
    return { retry: false, reason: 'the request body cannot be sent again' }
  }
  const mayHaveRedirected = attempt.redirects > 0 || !redirectsAreReported(response)
  if (mayHaveRedirected && !isIdempotentMethod(attempt.method)) {
    return {
      retry: false,
      reason: `the ${attempt.method} request may have been redirected, and its first hop must not be sent again`,
    }
  }

  attempt.retryStarted = true
  if (hop.authorization === 'asap' && hop.header !== undefined) {
    // Many requests rejected with the same token drop it once, so they share one new signing.
    options.provider.invalidate(hop.audience, { token: hop.header })
    return { retry: true, ready: Promise.resolve() }
  }
  return { retry: true, ready: hop.pending ?? Promise.resolve() }
}

function retryOrReturn<T>(
  instance: AxiosInstance,
  attempt: Attempt,
  options: ResolvedAxiosOptions,
  response: AxiosResponse,
  notRetried: () => T,
): T | Promise<AxiosResponse> {
  const decision = decideRetry(attempt, options, response)
  if (!decision.retry) {
    debug(
      '401 from %s for audience %j: not retried, %s',
      attempt.hop.origin,
      attempt.hop.audience,
      decision.reason,
    )
    return notRetried()
  }
  debug(
    '401 from %s for audience %j: retrying with a new token',
    attempt.hop.origin,
    attempt.hop.audience,
  )
  const config: InternalAxiosRequestConfig = response.config
  return decision.ready.then(() => instance.request(config))
}

/**
 * Hides the attempt's tokens in an error and in each part of it that contains them. Those parts
 * are the config, its headers, the request object and the response. The request object is the
 * `ClientRequest` of the last hop, or follow-redirects' request when no response came. Errors
 * are logged whole or in parts, so each part is protected.
 */
function hideTokensInError(error: AxiosError, attempt: Attempt): void {
  const parts: unknown[] = [
    error,
    error.config,
    error.config?.headers,
    error.request,
    error.response,
  ]
  for (const part of parts) {
    if (typeof part === 'object' && part !== null) {
      hideTokensFromInspect(part, attempt)
    }
  }
}

/**
 * Hides the attempt's tokens in a response. Only the response object itself is protected, which
 * covers its config, headers and request whenever the response is inspected. Inspecting
 * `response.config` on its own shows the header, as it does for any `Authorization` header set on
 * an axios request. Protecting each part would add measurable work to every request.
 */
function hideTokensInResponse(response: AxiosResponse, attempt: Attempt): void {
  hideTokensFromInspect(response, attempt)
}

/** Creates the response interceptor handlers that {@link withAsap} installs on `instance`. */
export function createResponseHandlers(
  instance: AxiosInstance,
  options: ResolvedAxiosOptions,
): AsapResponseHandlers {
  return {
    onFulfilled(response) {
      const attempt = findAttempt(response.config)
      if (attempt === undefined) {
        return response
      }
      hideTokensInResponse(response, attempt)
      if (response.status !== 401) {
        return response
      }
      // A caller whose validateStatus accepts 401 gets the same retry as everyone else.
      return retryOrReturn(instance, attempt, options, response, () => response)
    },

    onRejected(error) {
      const attempt = isAxiosError(error) ? findAttempt(error.config) : undefined
      if (attempt === undefined) {
        return Promise.reject(error)
      }
      const axiosError = error as AxiosError
      hideTokensInError(axiosError, attempt)
      const response = axiosError.response
      if (response === undefined) {
        return Promise.reject(error)
      }
      if (response.status !== 401) {
        return Promise.reject(error)
      }
      return Promise.resolve(
        retryOrReturn(instance, attempt, options, response, () => Promise.reject(error)),
      )
    },
  }
}
