/**
 * Whether a request may be sent a second time.
 *
 * @module
 */

/** Methods that RFC 9110 (section 9.2.2) defines as idempotent. */
const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'OPTIONS',
  'TRACE',
  'PUT',
  'DELETE',
])

/** Returns true when sending a request with `method` twice has the effect of sending it once. */
export function isIdempotentMethod(method: string): boolean {
  return IDEMPOTENT_METHODS.has(method.toUpperCase())
}

function isPlainData(value: object): boolean {
  if (Array.isArray(value)) {
    return true
  }
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

/**
 * Returns true when a request body, as axios left it on the config after `transformRequest`, can
 * be sent again: no body, a string, a `Buffer` or other `ArrayBufferView`, an `ArrayBuffer`,
 * `URLSearchParams`, or a plain object or array. Streams, `FormData`, `Blob` and every other
 * object are read while they are sent, so they are not replayable.
 */
export function isReplayableBody(data: unknown): boolean {
  if (data === undefined || data === null || typeof data === 'string') {
    return true
  }
  if (typeof data !== 'object') {
    return false
  }
  return (
    ArrayBuffer.isView(data) ||
    data instanceof ArrayBuffer ||
    data instanceof URLSearchParams ||
    isPlainData(data)
  )
}
