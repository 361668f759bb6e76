/**
 * Keeping tokens out of logged axios errors and responses.
 *
 * @module
 */

import { type InspectOptions, inspect } from 'node:util'
import type { InternalAxiosRequestConfig } from 'axios'
import { tokenOf } from './headers.js'

/** The text that replaces a token in `util.inspect` output. */
export const REDACTED_TOKEN = '[REDACTED ASAP token]'

/**
 * Adds `authorization` to `config.redact`, so that `AxiosError#toJSON()` (axios 1.21 and later)
 * writes `[REDACTED ****]` in place of the header. Earlier versions ignore the option.
 */
export function addAuthorizationToRedact(config: InternalAxiosRequestConfig): void {
  const current: unknown = config.redact
  const list: unknown[] = Array.isArray(current) ? current : []
  if (list.some((name) => typeof name === 'string' && name.toLowerCase() === 'authorization')) {
    return
  }
  config.redact = [...(list as string[]), 'authorization']
}

/** The property of an inspect method that contains the sets of `Authorization` values it covers. */
const TOKEN_SETS: unique symbol = Symbol('asap token sets')

/** A `[util.inspect.custom]` method made by {@link createInspector}. */
export interface Inspector {
  (this: object, depth: number, options: InspectOptions): string
  [TOKEN_SETS]: Set<ReadonlySet<string>>
}

/**
 * Creates the `[util.inspect.custom]` method of one protected object. The method inspects the
 * object as usual and replaces the token of every `Bearer <token>` value in `sets`.
 */
function createInspector(sets: Set<ReadonlySet<string>>): Inspector {
  const inspector = function inspectWithoutTokens(
    this: object,
    depth: number,
    options: InspectOptions,
  ): string {
    // Inspect the object without this method, which is an own property, then put it back.
    // `depth` is what remains of the caller's depth when the object is nested in another one.
    const descriptor = Object.getOwnPropertyDescriptor(this, inspect.custom)
    Reflect.deleteProperty(this, inspect.custom)
    let text: string
    try {
      text = inspect(this, { ...options, depth })
    } finally {
      if (descriptor !== undefined) {
        Object.defineProperty(this, inspect.custom, descriptor)
      }
    }
    for (const headers of sets) {
      for (const header of headers) {
        text = text.replaceAll(tokenOf(header), REDACTED_TOKEN)
      }
    }
    return text
  } as Inspector
  // A property, not a WeakMap entry, because the garbage collector must treat every WeakMap
  // entry as an ephemeron, which costs on each request.
  inspector[TOKEN_SETS] = sets
  return inspector
}

/** The `Authorization` values to hide, and the inspect method that hides them, made once. */
export interface TokenHiding {
  /** `Bearer <token>` values, read at each inspection, so values added later are covered too. */
  readonly headers: ReadonlySet<string>
  /** The method put on protected objects, created on first use and shared by them. */
  inspector?: Inspector | undefined
}

/**
 * Makes `util.inspect(target)`, and so `console.log`, print `target` as usual but with the token of
 * every value in `hiding.headers` replaced by {@link REDACTED_TOKEN}, nested objects included.
 * Calling this again for the same target with other values adds them.
 *
 * The method is a non-enumerable own property, which axios does not copy when it merges a config
 * for a new request and `JSON.stringify` ignores. A target with its own `[util.inspect.custom]`
 * method from elsewhere, and a target that is not extensible, are left unchanged.
 */
export function hideTokensFromInspect(target: object, hiding: TokenHiding): void {
  const { headers } = hiding
  if (headers.size === 0) {
    return
  }
  if (Object.hasOwn(target, inspect.custom)) {
    // A copy of a protected object, such as the config axios copies on dispatch, carries the
    // method of the original, and so shares its sets.
    const existing: unknown = (target as Record<symbol, unknown>)[inspect.custom]
    if (typeof existing === 'function') {
      ;(existing as Partial<Inspector>)[TOKEN_SETS]?.add(headers)
    }
    return
  }
  if (!Object.isExtensible(target)) {
    return
  }
  hiding.inspector ??= createInspector(new Set([headers]))
  Object.defineProperty(target, inspect.custom, {
    value: hiding.inspector,
    configurable: true,
    enumerable: false,
    writable: true,
  })
}
