/**
 * Reading and writing the `Authorization` header, whatever letter case the caller used.
 *
 * @module
 */

import { AxiosHeaders, type InternalAxiosRequestConfig } from 'axios'

/** The `Authorization` value for a token. */
export const BEARER_PREFIX = 'Bearer '

/** Returns the token inside a `Bearer <token>` header value. */
export function tokenOf(header: string): string {
  return header.slice(BEARER_PREFIX.length)
}

function isAxiosHeaders(value: unknown): value is AxiosHeaders {
  const candidate = value as Partial<AxiosHeaders> | null | undefined
  return (
    typeof candidate?.get === 'function' &&
    typeof candidate.set === 'function' &&
    typeof candidate.delete === 'function'
  )
}

/**
 * Returns `config.headers` as an `AxiosHeaders`. axios passes one to every request interceptor.
 * A plain object, from a caller that invokes the handler directly or from an interceptor that
 * replaced the headers, is converted in place.
 */
export function requestHeaders(config: InternalAxiosRequestConfig): AxiosHeaders {
  if (!isAxiosHeaders(config.headers)) {
    config.headers = AxiosHeaders.from(config.headers as unknown as AxiosHeaders)
  }
  return config.headers
}

/**
 * Returns the request's `Authorization` value, or `undefined` when it has none. `false`, which
 * makes axios omit the header, is returned as is.
 */
export function readAuthorization(headers: AxiosHeaders): unknown {
  const value = headers.get('authorization')
  return value === null ? undefined : value
}

/** Sets `Authorization` to `value` after removing every other spelling of the header. */
export function setAuthorization(headers: AxiosHeaders, value: string): void {
  // Each call removes one key, so the loop ends once no spelling is left.
  while (headers.delete('authorization')) {}
  headers.set('Authorization', value)
}

/** Removes every spelling of `Authorization` from a plain header object, such as a redirect's. */
export function deleteAuthorization(headers: Record<string, unknown>): void {
  for (const name of Object.keys(headers)) {
    if (name.toLowerCase() === 'authorization') {
      delete headers[name]
    }
  }
}
