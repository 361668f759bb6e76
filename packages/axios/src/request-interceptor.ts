/**
 * The request interceptor: adds a cached ASAP token to requests for mapped origins.
 *
 * @module
 */

import {
  type AsapAdapterOptions,
  type Audience,
  resolveAdapterOptions,
  resolveRequestAudience,
} from '@asap-auth/core'
import type { AxiosHeaders, InternalAxiosRequestConfig } from 'axios'
import { type Attempt, attachAttempt, detachAttempt } from './attempt.js'
import { readAuthorization, requestHeaders, setAuthorization } from './headers.js'
import { type ResolvedAxiosOptions, readRequestOptions } from './options.js'
import { addAuthorizationToRedact } from './redact.js'
import { createRedirectHook } from './redirect.js'
import { resolveRequestUrl } from './request-url.js'
import { createUrlGuard } from './url-guard.js'

/** An axios request interceptor that may wait for a signing. */
export type AsapRequestHandler = (
  config: InternalAxiosRequestConfig,
) => InternalAxiosRequestConfig | Promise<InternalAxiosRequestConfig>

/**
 * Returns the kind of credentials the caller put on the request, or `undefined` for none.
 *
 * - `url`: a user name or password in the URL. axios turns them into Basic authentication, so
 *   they are never replaced.
 * - `auth`: the `auth` option.
 * - `header`: an `Authorization` header, including `false`, which suppresses the header in axios.
 */
function callerCredentials(
  config: InternalAxiosRequestConfig,
  headers: AxiosHeaders,
  url: URL,
): 'url' | 'auth' | 'header' | undefined {
  if (url.username !== '' || url.password !== '') {
    return 'url'
  }
  if (config.auth !== undefined && config.auth !== null) {
    return 'auth'
  }
  return readAuthorization(headers) === undefined ? undefined : 'header'
}

function applyHeader(
  config: InternalAxiosRequestConfig,
  headers: AxiosHeaders,
  attempt: Attempt,
  header: string,
): InternalAxiosRequestConfig {
  setAuthorization(headers, header)
  attempt.firstHeader = header
  attempt.headers.add(header)
  const { origin, audience } = attempt.hop
  attempt.hop = { origin, audience, authorization: 'asap', header }
  return config
}

/** Creates the request handler for validated options. */
export function createRequestHandler(options: ResolvedAxiosOptions): AsapRequestHandler {
  return function asapRequestHandler(config) {
    const previous = detachAttempt(config)
    const asap = readRequestOptions(config.asap)
    if (asap === false) {
      return config
    }
    const url = resolveRequestUrl(config)
    if (url === undefined) {
      return config
    }

    const method = String(config.method ?? 'get').toUpperCase()
    const origin = url.origin
    const audience: Audience | undefined = resolveRequestAudience(
      options.audience,
      origin,
      url.pathname + url.search,
      method,
      asap,
    )
    if (audience === undefined) {
      return config
    }

    const headers = requestHeaders(config)
    addAuthorizationToRedact(config)
    const attempt: Attempt = {
      origin,
      target: {
        url: config.url,
        baseURL: config.baseURL,
        allowAbsoluteUrls: config.allowAbsoluteUrls,
        socketPath: config.socketPath,
      },
      method,
      requestOptions: asap,
      isRetry: previous?.retryStarted === true,
      userBeforeRedirect: config.beforeRedirect,
      firstHeader: undefined,
      headers: new Set(),
      hop: { origin, audience, authorization: 'none' },
      redirects: 0,
      retryStarted: false,
    }
    attachAttempt(config, createUrlGuard(attempt), createRedirectHook(attempt, options))

    const credentials = callerCredentials(config, headers, url)
    if (credentials === 'url' || (credentials !== undefined && !options.replaceAuthorization)) {
      attempt.hop = { origin, audience, authorization: 'caller' }
      return config
    }
    if (credentials === 'auth') {
      // axios would replace the Authorization header with Basic credentials from `auth`.
      config.auth = undefined
    }

    const cached = options.provider.peekAuthorizationHeader(audience, attempt.requestOptions)
    if (cached !== undefined) {
      return applyHeader(config, headers, attempt, cached)
    }
    return options.provider
      .getAuthorizationHeader(audience, attempt.requestOptions)
      .then((header) => applyHeader(config, headers, attempt, header))
  }
}

/**
 * Returns a bare axios request interceptor that adds a cached ASAP token to every request for a
 * mapped origin, for callers who register interceptors themselves. It includes the redirect guard,
 * but not the retry after a 401 and not the removal of tokens from `util.inspect` output, which
 * need the response interceptor that {@link withAsap} installs.
 *
 * Register it without `synchronous: true`, because it may return a promise:
 * `instance.interceptors.request.use(asapRequestInterceptor(options))`.
 *
 * A single audience string in `options.audience` has no origin to bind to here and is rejected;
 * map the origin instead, or use {@link withAsap}, which binds it to the instance's `baseURL`.
 *
 * @throws {AsapError} a subclass with a stable `code` for each invalid option.
 */
export function asapRequestInterceptor(options: AsapAdapterOptions): AsapRequestHandler {
  const resolved = resolveAdapterOptions(options)
  return createRequestHandler({ ...resolved, retryOnUnauthorized: false })
}
