/**
 * Which request bodies may be sent a second time.
 *
 * @module
 */

function isPlainData(value: object): boolean {
  if (Array.isArray(value)) {
    return true
  }
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

/**
 * Returns true when a request body, as axios left it on the config after `transformRequest`, can
 * be sent again: no body, a string, a `Buffer` or other `ArrayBufferView`, an `ArrayBuffer`, a
 * `Blob`, `URLSearchParams`, or a plain object or array. A `Blob` cannot change, and axios 1.21's
 * HTTP adapter reads it afresh for each send. Streams, `FormData` and every other object are
 * consumed while they are sent, so they are not replayable.
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
    data instanceof Blob ||
    data instanceof URLSearchParams ||
    isPlainData(data)
  )
}
