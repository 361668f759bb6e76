/**
 * Reading the freshness lifetime of a key repository response from `Cache-Control`.
 *
 * @module
 */

/**
 * Maximum time a public key is cached because of `Cache-Control: max-age`, in seconds: one
 * day. A larger `max-age` is cut to this, so that a misconfigured repository (a year is a common
 * default for static files) cannot pin a replaced or revoked key for long.
 */
export const MAX_KEY_CACHE_TTL = 86_400

const maxAgePattern = /^max-age\s*=\s*(?:(\d+)|"(\d+)")$/

/**
 * Returns how many seconds a response may be cached according to its `Cache-Control` header: the
 * `max-age` value cut to {@link MAX_KEY_CACHE_TTL}, `0` for `no-store` or `no-cache`, or
 * `undefined` when the header gives no lifetime. Several `max-age` directives yield the smallest.
 * Directive names are compared case-insensitively, and unknown directives are ignored.
 */
export function cacheLifetime(header: string | readonly string[] | undefined): number | undefined {
  if (header === undefined) {
    return undefined
  }
  const text = typeof header === 'string' ? header : header.join(',')

  let lifetime: number | undefined
  for (const directive of text.split(',')) {
    const normalized = directive.trim().toLowerCase()
    if (normalized === 'no-store' || normalized === 'no-cache') {
      return 0
    }
    const match = maxAgePattern.exec(normalized)
    if (match !== null) {
      const seconds = Math.min(Number(match[1] ?? match[2]), MAX_KEY_CACHE_TTL)
      lifetime = lifetime === undefined ? seconds : Math.min(lifetime, seconds)
    }
  }
  return lifetime
}
