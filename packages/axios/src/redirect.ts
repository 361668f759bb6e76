/**
 * The `beforeRedirect` hook: on every redirect hop, the token goes only to the origin it was made
 * for.
 *
 * axios's Node HTTP adapter follows redirects with follow-redirects, which calls the hook
 * synchronously before each new request. axios 1.21.1 removes `Authorization` itself whenever the
 * origin changes. follow-redirects 1.16.3 alone keeps it when the scheme changes from `http:` to
 * `https:` and when the new host is a subdomain of the old one. The hook does not depend on
 * either: it removes the header on every origin change, then adds the new origin's token when
 * that origin is mapped and its token is cached.
 *
 * `config.asap` (audience, subject and claims) applies to hops to the origin of the request only.
 * A token for another origin has that origin's mapped audience and the signer's own subject and
 * claims, so per-request claims never reach a service the request did not name.
 *
 * @module
 */

import { type Audience, resolveRequestAudience } from '@asap-auth/core'
import { type Attempt, type BeforeRedirect, type Hop, registerCarrier } from './attempt.js'
import { debug } from './debug.js'
import { deleteAuthorization } from './headers.js'
import type { ResolvedAxiosOptions } from './options.js'

/** The parts of follow-redirects' request options the hook reads and writes. */
interface RedirectOptions {
  href?: unknown
  protocol?: unknown
  hostname?: unknown
  port?: unknown
  path?: unknown
  method?: unknown
  headers?: Record<string, unknown>
}

/** Returns the URL of the redirected request, or `undefined` when it cannot be determined. */
function redirectUrl(options: RedirectOptions): URL | undefined {
  try {
    if (typeof options.href === 'string') {
      return new URL(options.href)
    }
    const path = typeof options.path === 'string' ? options.path : '/'
    if (/^https?:\/\//i.test(path)) {
      return new URL(path)
    }
    const hostname = String(options.hostname)
    const host = hostname.includes(':') ? `[${hostname}]` : hostname
    const port = options.port === undefined || options.port === '' ? '' : `:${options.port}`
    return new URL(`${String(options.protocol)}//${host}${port}${path}`)
  } catch {
    return undefined
  }
}

function audienceKey(audience: Audience): string {
  return typeof audience === 'string' ? audience : [...audience].sort().join('\u0000')
}

function keepsAuthorization(hop: Hop, origin: string, audience: Audience | undefined): boolean {
  if (hop.origin !== origin) {
    return false
  }
  if (hop.authorization === 'caller') {
    return true
  }
  return (
    hop.authorization === 'asap' &&
    audience !== undefined &&
    hop.audience !== undefined &&
    // The resolver returns the stored value for a mapped origin, so the same reference is common.
    (hop.audience === audience || audienceKey(hop.audience) === audienceKey(audience))
  )
}

/** Sets the `Authorization` header of the redirected request and records the new hop. */
function authorizeHop(
  attempt: Attempt,
  options: ResolvedAxiosOptions,
  redirect: RedirectOptions,
): void {
  redirect.headers ??= {}
  const headers = redirect.headers
  const url = redirectUrl(redirect)
  if (url === undefined) {
    deleteAuthorization(headers)
    attempt.hop = { origin: 'null', audience: undefined, authorization: 'none' }
    return
  }

  const origin = url.origin
  const method = String(redirect.method ?? attempt.method).toUpperCase()
  // The caller chose config.asap for the origin of the request, so a hop to another origin is
  // signed as if the request had none. The same check as for the request itself applies.
  const sameOrigin = origin === attempt.origin
  const audience = resolveRequestAudience(
    options.audience,
    origin,
    url.pathname + url.search,
    method,
    sameOrigin ? attempt.requestOptions : undefined,
  )
  const overrides = sameOrigin ? attempt.requestOptions : undefined
  if (keepsAuthorization(attempt.hop, origin, audience)) {
    return
  }

  deleteAuthorization(headers)
  if (audience === undefined) {
    debug('redirect to %s: origin not mapped, no token', origin)
    attempt.hop = { origin, audience, authorization: 'none' }
    return
  }

  const header = options.provider.peekAuthorizationHeader(audience, overrides)
  if (header !== undefined) {
    headers.Authorization = header
    attempt.headers.add(header)
    attempt.hop = { origin, audience, authorization: 'asap', header }
    debug('redirect to %s: token for audience %j', origin, audience)
    return
  }

  // The hook must return synchronously, so the hop goes out without a token. The signing started
  // here makes the token ready for the retry after a 401 (see unauthorized.ts).
  const pending = options.provider.getAuthorizationHeader(audience, overrides).then(
    () => undefined,
    () => undefined,
  )
  attempt.hop = { origin, audience, authorization: 'none', pending }
  debug('redirect to %s: no cached token for audience %j, sent without one', origin, audience)
}

/**
 * Creates the `beforeRedirect` hook of an attempt. It calls the caller's own hook afterwards, so
 * the caller has the last word on the redirected request.
 */
export function createRedirectHook(
  attempt: Attempt,
  options: ResolvedAxiosOptions,
): BeforeRedirect {
  const hook: BeforeRedirect = function asapBeforeRedirect(redirect, response, request) {
    attempt.redirects++
    try {
      authorizeHop(attempt, options, redirect)
    } catch (error) {
      // An audience function or an audience check that throws fails the redirect, and no header
      // is left behind. follow-redirects passes the error to axios as the cause of the failure.
      deleteAuthorization((redirect as RedirectOptions).headers ?? {})
      attempt.hop = { origin: 'null', audience: undefined, authorization: 'none' }
      throw error
    }
    attempt.userBeforeRedirect?.(redirect, response, request)
  }
  registerCarrier(hook, attempt)
  return hook
}
