/**
 * Quoting of user-given values in error messages, without ever printing key material.
 *
 * @module
 */

/** Maximum length of a value quoted in full. Real issuers, key IDs and algorithm names are far shorter. */
const MAX_QUOTED_LENGTH = 100

/**
 * Returns `value` as a JSON string for an error message, or a description such as
 * `(a string of 1704 characters, not shown)` when it is long or looks like a key. A private key
 * pasted into the wrong option or variable, such as `keyId`, then never reaches a message.
 */
export function quoteValue(value: unknown): string {
  if (typeof value === 'bigint') {
    return `${value}n`
  }
  if (typeof value !== 'string') {
    try {
      return JSON.stringify(value) ?? String(value)
    } catch {
      // A cycle or a BigInt inside an object: describe the value instead of failing.
      return `(${typeof value})`
    }
  }
  const looksLikeKey = /-----BEGIN|^\s*data:|PRIVATE KEY|^\s*\{/.test(value)
  if (value.length > MAX_QUOTED_LENGTH || looksLikeKey) {
    return `(a string of ${value.length} characters, not shown)`
  }
  return JSON.stringify(value)
}

/** Returns `value` for an example inside a quoted message, or `<issuer>` when it is not shown. */
export function exampleValue(value: string): string {
  return quoteValue(value).startsWith('"') ? value : '<issuer>'
}
