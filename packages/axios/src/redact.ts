/**
 * Keeping tokens out of logged axios errors and responses.
 *
 * @module
 */

import { type InspectOptions, inspect } from 'node:util'
import type { InternalAxiosRequestConfig } from 'axios'

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

/**
 * Makes `util.inspect(target)`, and so `console.log`, print `target` as usual but with every token
 * in `tokens` replaced by {@link REDACTED_TOKEN}. An AxiosError or a response contains the token in
 * several places (the config headers and the raw request header text of `request._header`), and
 * `config.redact` covers only `toJSON()`.
 *
 * Objects reached in other ways are not covered: `util.inspect(error.request)` still shows the
 * token.
 */
export function hideTokensFromInspect(target: object, tokens: ReadonlySet<string>): void {
  if (tokens.size === 0 || Object.hasOwn(target, inspect.custom)) {
    return
  }

  function inspectWithoutTokens(this: object, _depth: number, options: InspectOptions): string {
    // Inspect the object without this method, which is an own property, then put it back.
    const descriptor = Object.getOwnPropertyDescriptor(this, inspect.custom)
    Reflect.deleteProperty(this, inspect.custom)
    let text: string
    try {
      text = inspect(this, options)
    } finally {
      if (descriptor !== undefined) {
        Object.defineProperty(this, inspect.custom, descriptor)
      }
    }
    for (const token of tokens) {
      text = text.replaceAll(token, REDACTED_TOKEN)
    }
    return text
  }

  Object.defineProperty(target, inspect.custom, {
    value: inspectWithoutTokens,
    configurable: true,
    enumerable: false,
    writable: true,
  })
}
