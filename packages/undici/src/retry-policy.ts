/**
 * Retry rules after a 401: the requests that may be sent a second time.
 *
 * @module
 */

import { isIdempotentMethod } from '@asap-auth/core'
import type { Dispatcher } from 'undici'

/**
 * Tells whether a request body can be sent again: no body, a string, bytes or a `Blob`. A stream,
 * an iterable, an async iterable or `FormData` is consumed by the first attempt.
 */
function isReplayableBody(body: unknown): boolean {
  return (
    body === null ||
    body === undefined ||
    typeof body === 'string' ||
    ArrayBuffer.isView(body) ||
    body instanceof ArrayBuffer ||
    body instanceof Blob
  )
}

/**
 * Tells whether a request may be retried after a 401: an explicit `idempotent` flag wins,
 * otherwise the method decides. Upgrade and `CONNECT` requests are never retried.
 */
export function isRetryableRequest(opts: Dispatcher.DispatchOptions): boolean {
  const method = String(opts.method).toUpperCase()
  if (opts.upgrade || method === 'CONNECT') {
    return false
  }
  const idempotent = opts.idempotent ?? isIdempotentMethod(method)
  return idempotent && isReplayableBody(opts.body)
}
