/**
 * Reading and rewriting `opts.headers` in every shape undici accepts: a plain object (names in any
 * letter case), a flat array of names and values, an iterable of `[name, value]` pairs (`Map`,
 * `Headers`, a generator), or nothing.
 *
 * Nothing here mutates the caller's headers. The output is always a plain object or a flat array,
 * never an array of pairs, because undici's core treats every array as a flat list and rejects
 * an array of pairs with `UND_ERR_INVALID_ARG`.
 *
 * @module
 */

import { AsapInvalidOptionError } from '@asap-auth/core'

/** Headers as an object from header name to value. */
export type HeaderRecord = Record<string, unknown>

/** Headers as a flat list: name, value, name, value and so on. */
export type HeaderList = unknown[]

/** Headers in a shape that can be read more than once and that undici's core accepts. */
export type ReadableHeaders = HeaderRecord | HeaderList | null | undefined

const AUTHORIZATION = 'authorization'

/** Compares a header name with `authorization` in any letter case, without allocating. */
export function isAuthorizationName(name: unknown): boolean {
  if (typeof name === 'string') {
    if (name.length !== AUTHORIZATION.length) {
      return false
    }
    for (let i = 0; i < AUTHORIZATION.length; i++) {
      // Every character of the name is a letter, so setting bit 0x20 lower-cases exactly.
      if ((name.charCodeAt(i) | 0x20) !== AUTHORIZATION.charCodeAt(i)) {
        return false
      }
    }
    return true
  }
  if (name instanceof Uint8Array) {
    if (name.length !== AUTHORIZATION.length) {
      return false
    }
    for (let i = 0; i < AUTHORIZATION.length; i++) {
      if ((name[i]! | 0x20) !== AUTHORIZATION.charCodeAt(i)) {
        return false
      }
    }
    return true
  }
  return false
}

/**
 * Tells whether an object's iterator can be trusted: its own, or inherited from a prototype other
 * than `Object.prototype`. undici's core applies the same rule, so an iterator planted on
 * `Object.prototype` cannot turn a plain header object into an iterable.
 */
function hasSafeIterator(value: object): boolean {
  if (Object.hasOwn(value, Symbol.iterator)) {
    return true
  }
  const prototype = Object.getPrototypeOf(value)
  return (
    prototype !== null &&
    prototype !== Object.prototype &&
    typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function'
  )
}

/**
 * Tells whether `headers` must be copied into a flat list before it can be read. That is the case
 * for an iterable of pairs, which may be readable only once (a generator), and for an array of
 * pairs, which undici's core would reject.
 */
export function needsFlattening(headers: unknown): headers is Iterable<unknown> {
  if (Array.isArray(headers)) {
    return headers.length > 0 && Array.isArray(headers[0])
  }
  return typeof headers === 'object' && headers !== null && hasSafeIterator(headers)
}

/**
 * Copies an iterable of `[name, value]` pairs into a new flat list.
 *
 * @throws {AsapInvalidOptionError} when an entry is not a pair. The message names the entry's
 *   position only, never a header value.
 */
export function flattenHeaders(headers: Iterable<unknown>): HeaderList {
  const list: HeaderList = []
  let index = 0
  for (const entry of headers) {
    if (!Array.isArray(entry) || entry.length !== 2) {
      throw new AsapInvalidOptionError(
        `Invalid headers: entry ${index} of the headers iterable is not a [name, value] pair. Pass headers as an object, a flat array of names and values, or an iterable of [name, value] pairs.`,
        { field: 'headers' },
      )
    }
    list.push(entry[0], entry[1])
    index++
  }
  return list
}

/**
 * Tells whether `headers` carries an `Authorization` header. A name whose value is `undefined`
 * does not count, because undici's core skips it.
 */
export function hasAuthorization(headers: ReadableHeaders): boolean {
  if (headers === null || headers === undefined) {
    return false
  }
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) {
      if (isAuthorizationName(headers[i]) && headers[i + 1] !== undefined) {
        return true
      }
    }
    return false
  }
  for (const name in headers) {
    if (Object.hasOwn(headers, name) && isAuthorizationName(name) && headers[name] !== undefined) {
      return true
    }
  }
  return false
}

function copyWithout(record: HeaderRecord, value: string): HeaderRecord {
  const copy: HeaderRecord = {}
  for (const name in record) {
    if (!Object.hasOwn(record, name) || isAuthorizationName(name)) {
      continue
    }
    if (name === '__proto__') {
      // A plain assignment would replace the copy's prototype instead of adding a header.
      Object.defineProperty(copy, name, {
        value: record[name],
        enumerable: true,
        writable: true,
        configurable: true,
      })
    } else {
      copy[name] = record[name]
    }
  }
  copy.authorization = value
  return copy
}

/**
 * Returns new headers of the same shape as `headers` (an object, or a flat list), holding every
 * header of `headers` except `Authorization` in any letter case, plus one
 * `authorization: <value>`.
 *
 * @param headers - An object, a flat list of even length, or nothing. Use {@link flattenHeaders}
 *   first for other shapes.
 */
export function withAuthorization(
  headers: ReadableHeaders,
  value: string,
): HeaderRecord | HeaderList {
  if (headers === null || headers === undefined) {
    return { authorization: value }
  }
  if (Array.isArray(headers)) {
    const list: HeaderList = []
    for (let i = 0; i < headers.length; i += 2) {
      if (!isAuthorizationName(headers[i])) {
        list.push(headers[i], headers[i + 1])
      }
    }
    list.push(AUTHORIZATION, value)
    return list
  }
  return copyWithout(headers, value)
}
