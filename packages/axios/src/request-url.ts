/**
 * The URL a request goes to, resolved the way axios resolves it.
 *
 * @module
 */

/** The parts of a request config that decide where the request goes. */
export interface RequestTarget {
  url?: unknown
  baseURL?: unknown
  allowAbsoluteUrls?: unknown
  socketPath?: unknown
}

/** A scheme followed by `//`, or a leading `//`: what axios treats as an absolute URL. */
const ABSOLUTE_URL = /^([a-z][a-z\d+\-.]*:)?\/\//i

function joinUrl(baseUrl: string, relativeUrl: string): string {
  if (relativeUrl === '') {
    return baseUrl
  }
  return `${baseUrl.replace(/\/+$/, '')}/${relativeUrl.replace(/^\/+/, '')}`
}

/**
 * Returns the URL that axios (1.x, `buildFullPath`) sends the request to, without `params`, or
 * `undefined` when the URL cannot be parsed, in which case axios rejects the request itself.
 *
 * `baseURL` and `url` are joined when `url` is relative, or whenever `allowAbsoluteUrls` is
 * `false`. An absolute `url` wins otherwise. With `socketPath`, a relative URL resolves against
 * `http://localhost`, as in axios's HTTP adapter.
 */
export function resolveRequestUrl(config: RequestTarget): URL | undefined {
  const { url, baseURL } = config
  const hasBase = typeof baseURL === 'string' && baseURL !== ''

  let fullUrl: string
  if (url === undefined || url === null || typeof url === 'string') {
    const requested = url ?? ''
    const relative = !ABSOLUTE_URL.test(requested)
    fullUrl =
      hasBase && (relative || config.allowAbsoluteUrls === false)
        ? joinUrl(baseURL, requested)
        : requested
  } else if (hasBase) {
    // axios fails on a non-string url combined with a baseURL, so nothing is sent.
    return undefined
  } else {
    fullUrl = String(url)
  }

  try {
    return new URL(fullUrl, config.socketPath ? 'http://localhost' : undefined)
  } catch {
    return undefined
  }
}
