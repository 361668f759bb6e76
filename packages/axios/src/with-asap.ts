/**
 * `withAsap`: the one-line set-up of an axios instance.
 *
 * @module
 */

import { AsapInvalidOptionError } from '@asap-auth/core'
import type { AxiosInstance } from 'axios'
import { type AsapAxiosOptions, resolveAxiosOptions } from './options.js'
import { createRequestHandler } from './request-interceptor.js'
import { createResponseHandlers } from './unauthorized.js'

function isAxiosInstance(value: unknown): value is AxiosInstance {
  const candidate = value as Partial<AxiosInstance> | null | undefined
  return (
    typeof candidate?.request === 'function' &&
    typeof candidate.interceptors?.request?.use === 'function' &&
    typeof candidate.interceptors.response?.use === 'function'
  )
}

/** Returns the origin of an absolute `http:` or `https:` base URL, or `undefined`. */
function baseUrlOrigin(baseUrl: unknown): string | undefined {
  if (typeof baseUrl !== 'string') {
    return undefined
  }
  try {
    const url = new URL(baseUrl)
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : undefined
  } catch {
    return undefined
  }
}

/**
 * Installs ASAP on an axios instance: every request for a mapped origin gets a cached token, and
 * a 401 to such a request is retried once with a new token. Requests for other origins go out
 * untouched.
 *
 * A single audience string in `options.audience` binds to the origin of the instance's `baseURL`
 * as it is when `withAsap` is called.
 *
 * @example One line on an instance with a base URL
 * ```ts
 * const billing = axios.create({ baseURL: 'https://billing.internal:8443/api' })
 * withAsap(billing, { provider: { issuer: 'orders', privateKey: process.env.ASAP_PRIVATE_KEY! }, audience: 'billing' })
 * ```
 *
 * @returns A function that removes both interceptors again. Calling it twice does nothing more.
 * @throws {AsapError} a subclass with a stable `code` for each invalid option.
 */
export function withAsap(instance: AxiosInstance, options: AsapAxiosOptions): () => void {
  if (!isAxiosInstance(instance)) {
    throw new AsapInvalidOptionError(
      'withAsap expects an axios instance, such as axios.create() or the default axios export, as its first argument.',
      { field: 'instance' },
    )
  }
  const resolved = resolveAxiosOptions(options, baseUrlOrigin(instance.defaults?.baseURL))
  const response = createResponseHandlers(instance, resolved)

  const requestId = instance.interceptors.request.use(createRequestHandler(resolved))
  const responseId = instance.interceptors.response.use(response.onFulfilled, response.onRejected)

  let installed = true
  return function removeAsap() {
    if (installed) {
      installed = false
      instance.interceptors.request.eject(requestId)
      instance.interceptors.response.eject(responseId)
    }
  }
}
