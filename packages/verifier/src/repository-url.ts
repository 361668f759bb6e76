/**
 * Key repository base URLs, and the URL of one key under a base.
 *
 * @module
 */

import { isValidKeyId } from '@asap-auth/core'

const loopbackHosts: ReadonlySet<string> = new Set(['localhost', '[::1]'])

/** Returns true when `url` points at this host: `localhost`, `127.0.0.0/8` or `[::1]`. */
export function isLoopbackUrl(url: URL): boolean {
  return loopbackHosts.has(url.hostname) || /^127(\.\d{1,3}){3}$/.test(url.hostname)
}

/**
 * Reads a key repository base URL. It must be absolute, `https:` (or `http:` when
 * `allowInsecureHttp` is true), without credentials, query or fragment. The returned URL's path
 * ends with `/`, so a base with and without a trailing slash behave the same.
 *
 * @throws {Error} whose message explains what is wrong with the URL and how to fix it, without
 * quoting the URL, which may contain credentials.
 */
export function readRepositoryUrl(value: unknown, allowInsecureHttp: boolean): URL {
  if (typeof value !== 'string' && !(value instanceof URL)) {
    throw new Error(`is a ${typeof value}, not a string`)
  }
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new Error('is not an absolute URL, such as "https://keys.example.com/"')
  }
  if (url.username !== '' || url.password !== '') {
    throw new Error('must not contain a user name or password')
  }
  if (url.protocol === 'http:' && !allowInsecureHttp) {
    throw new Error(
      'uses http:, which lets anyone on the network path replace the public keys. Use https:, or for tests against a loopback server set the allowInsecureHttp option (the second argument of verifierOptionsFromEnv)',
    )
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`uses ${url.protocol} and must use https:`)
  }
  if (url.search !== '' || url.hash !== '') {
    throw new Error('must not have a query or fragment, because the key ID is appended to its path')
  }
  if (!url.pathname.endsWith('/')) {
    url.pathname = `${url.pathname}/`
  }
  return url
}

/**
 * Returns the URL of the key `keyId` under the repository `base`: `<base>/<keyId>`.
 *
 * The key ID must already follow the ASAP key ID rules, which allow only ASCII letters, digits,
 * `_`, `.`, `+`, `-` and single `/` between segments, and no `..`. So the key ID cannot leave the
 * base path, add a query or encode characters. The result is checked once more all the same.
 *
 * @throws {Error} when the key ID is invalid or the URL would leave the base path.
 */
export function keyUrl(base: URL, keyId: string): URL {
  if (!isValidKeyId(keyId)) {
    throw new Error('refusing to build a key URL from an invalid key ID')
  }
  const url = new URL(`${base.href}${keyId}`)
  if (
    url.origin !== base.origin ||
    !url.pathname.startsWith(base.pathname) ||
    url.pathname.length === base.pathname.length ||
    url.search !== '' ||
    url.hash !== ''
  ) {
    throw new Error('refusing a key URL outside the repository path')
  }
  return url
}
