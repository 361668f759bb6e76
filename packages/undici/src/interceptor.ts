/**
 * The `asap()` interceptor: puts a cached ASAP token on requests to mapped origins.
 *
 * @module
 */

import {
  AsapOriginNotMappedError,
  type AsapRequestOptions,
  type Audience,
  normalizeOrigin,
  resolveRequestAudience,
} from '@asap-auth/core'
import type { Dispatcher } from 'undici'
import { failUnsent } from './controller.js'
import { debug } from './debug.js'
import {
  flattenHeaders,
  hasAuthorization,
  needsFlattening,
  type ReadableHeaders,
} from './headers.js'
import {
  type AsapInterceptorOptions,
  type ResolvedInterceptorOptions,
  resolveInterceptorOptions,
} from './options.js'
import {
  ForwardingHandler,
  isSameOrigin,
  type RedirectChain,
  RedirectTracker,
} from './redirect-chain.js'
import { readRequestOverrides } from './request-options.js'
import { SignedRequestHandler } from './signed-request-handler.js'

/** Returns the options without `asap`, as a new object. */
function withoutSetting(opts: Dispatcher.DispatchOptions): Dispatcher.DispatchOptions {
  const { asap: _setting, ...rest } = opts
  return rest
}

/** Returns `handler`, wrapped to report its redirect responses to `chain` when one is tracked. */
function watched(
  handler: Dispatcher.DispatchHandler,
  chain: RedirectChain | undefined,
): Dispatcher.DispatchHandler {
  return chain === undefined ? handler : new ForwardingHandler(handler, chain)
}

/** Returns the normalised dispatcher origin passed to the interceptor factory, or `undefined`. */
function readDispatcherOrigin(value: unknown): string | undefined {
  if (typeof value !== 'string' && !(value instanceof URL)) {
    return undefined
  }
  try {
    return normalizeOrigin(value, 'origin')
  } catch {
    return undefined
  }
}

/**
 * Returns the origin a request is sent to, or `undefined` when no token may be attached: the
 * request names no origin, or it names one other than the `Client` or `Pool` it goes through.
 */
function targetOrigin(
  origin: string | URL | undefined,
  dispatcherOrigin: string | undefined,
): string | undefined {
  if (origin === undefined || origin === null) {
    return dispatcherOrigin
  }
  const requested = typeof origin === 'string' ? origin : origin.origin
  if (dispatcherOrigin === undefined || requested === dispatcherOrigin) {
    return requested
  }
  // Another spelling of the same origin, such as a trailing slash, still matches.
  try {
    if (new URL(requested).origin === dispatcherOrigin) {
      return dispatcherOrigin
    }
  } catch {
    // An unparsable origin is not the dispatcher's.
  }
  debug(
    'request names origin %s but goes through a dispatcher for %s: no token',
    requested,
    dispatcherOrigin,
  )
  return undefined
}

/** The origin and per-request settings a request gets its token for. */
interface RequestPlan {
  /** The origin to make a token for, or `undefined` for no token. */
  readonly origin: string | undefined
  /** The per-request settings that apply to this request. */
  readonly overrides: AsapRequestOptions | undefined
  /** The redirect chain the request belongs to, when its hops must be recognised. */
  readonly chain: RedirectChain | undefined
}

/**
 * Decides the origin and per-request settings of a request, or of a redirect hop of one.
 *
 * `opts.asap` is chosen for the origin a request starts at, so a hop to another origin gets that
 * origin's mapped audience with the default subject and claims, or no token when it is unmapped.
 * Without a `Client` or `Pool` origin, a hop to another origin gets no token at all unless
 * `signCrossOriginRedirects` declares the dispatcher an `Agent`.
 */
function planRequest(
  settings: ResolvedInterceptorOptions,
  dispatcherOrigin: string | undefined,
  tracker: RedirectTracker,
  opts: Dispatcher.DispatchOptions,
  overrides: AsapRequestOptions | undefined,
): RequestPlan {
  const origin = targetOrigin(opts.origin, dispatcherOrigin)
  const mayReachOtherServer = dispatcherOrigin === undefined && !settings.signCrossOriginRedirects
  const chain = tracker.chainOf(opts.asap)

  if (chain === undefined) {
    // Only a request whose hops are treated differently from new requests needs its hops found.
    const tracked = overrides !== undefined || mayReachOtherServer
    return {
      origin,
      overrides,
      chain: tracked ? { tracker, origin, setting: opts.asap } : undefined,
    }
  }
  if (isSameOrigin(chain.origin, origin)) {
    return { origin, overrides, chain }
  }
  if (mayReachOtherServer) {
    debug(
      'redirect from %s to %s: no token, because a Client or Pool composed without the origin option would send it to its own origin',
      chain.origin,
      origin,
    )
    return { origin: undefined, overrides: undefined, chain }
  }
  return { origin, overrides: undefined, chain }
}

/**
 * Returns the audience of a request, or `undefined` to send it untouched.
 *
 * @throws {AsapOriginNotMappedError} when the request sets `asap.audience` but its origin is
 *   unknown or not mapped.
 */
function requestAudience(
  settings: ResolvedInterceptorOptions,
  origin: string | undefined,
  opts: Dispatcher.DispatchOptions,
  overrides: AsapRequestOptions | undefined,
): Audience | undefined {
  if (origin !== undefined) {
    return resolveRequestAudience(
      settings.audience,
      origin,
      opts.path,
      String(opts.method).toUpperCase(),
      overrides,
    )
  }
  if (overrides?.audience !== undefined) {
    throw new AsapOriginNotMappedError(
      'The request sets an ASAP audience, but its origin is unknown, because the request has no opts.origin or names an origin other than the Client or Pool it goes through. Pass opts.origin, or set the origin option of asap() to the origin of the Client or Pool.',
      { field: 'asap.audience' },
    )
  }
  return undefined
}

/**
 * Creates an undici interceptor that puts an ASAP token on every request to an origin mapped to an
 * audience, for `dispatcher.compose()`:
 *
 * ```ts
 * const agent = new Agent().compose(asap({ provider, audience: { 'https://billing.internal': 'billing' } }))
 * ```
 *
 * Requests to an unmapped origin pass through untouched. A cached token is attached at once. Only
 * a request that finds no usable token waits for a signing. If no token can be made, the caller
 * gets the error (an `AsapError` with a stable `code`) and nothing is sent. A 401 answer drops the
 * token from the provider's cache and, for idempotent requests with a replayable body, is retried
 * once with a new token (see {@link AsapInterceptorOptions.retryOnUnauthorized}).
 *
 * Per request, `opts.asap` is `false` (no token) or `{ audience, subject, claims }`; it is removed
 * before the request is passed on. The object applies to the origin the request starts at, and
 * redirect hops to other origins get their own mapped audience with the default subject and claims.
 *
 * > [!WARNING]
 * > On a `Client` or `Pool`, always set the `origin` option: the pool sends every request to its
 * > own origin, whatever origin the request names.
 *
 * Compose it before `redirect()` in the argument list, such as
 * `agent.compose(asap(options), interceptors.redirect({ maxRedirections: 3 }))`, so that hops on
 * the first origin keep a token. A hop to another origin gets no token unless
 * {@link AsapInterceptorOptions.signCrossOriginRedirects} is set on an `Agent`.
 *
 * @throws {AsapError} a subclass with a stable `code` for each invalid option, when called.
 */
export function asap(options: AsapInterceptorOptions): Dispatcher.DispatcherComposeInterceptor {
  const settings = resolveInterceptorOptions(options)

  // NOTE: undici 7 calls the factory with `dispatch` alone. The second argument, the origin of a
  // Client or Pool, is expected from undici 8 but untested against it, because Node 20 cannot run
  // undici 8. A test makes that call by hand.
  return (dispatch: Dispatcher.Dispatch, composedOrigin?: unknown): Dispatcher.Dispatch => {
    const dispatcherOrigin = settings.origin ?? readDispatcherOrigin(composedOrigin)
    // NOTE: `dispatch` is bound to an Agent, Client or Pool that it does not reveal. Without a
    // dispatcher origin, a token for the origin a request names may reach another server through
    // a Client or Pool. Redirect hops are recognised and held to the first origin, but a request
    // that the caller or fetch starts for another origin is not.
    const tracker = new RedirectTracker()

    return function asapInterceptor(opts, handler) {
      const setting = opts.asap
      const forwarded = setting === undefined ? opts : withoutSetting(opts)
      if (setting === false) {
        return dispatch(forwarded, handler)
      }

      let audience: Audience | undefined
      let plan: RequestPlan
      let headers: ReadableHeaders
      try {
        plan = planRequest(settings, dispatcherOrigin, tracker, opts, readRequestOverrides(setting))
        audience = requestAudience(settings, plan.origin, opts, plan.overrides)
        if (audience !== undefined) {
          headers = needsFlattening(opts.headers)
            ? flattenHeaders(opts.headers)
            : (opts.headers as ReadableHeaders)
        }
      } catch (error) {
        failUnsent(handler, error)
        return true
      }
      if (audience === undefined) {
        return dispatch(forwarded, watched(handler, plan.chain))
      }

      // An odd-length list is passed on as it is, so undici's core rejects it with its own error.
      const oddList = Array.isArray(headers) && headers.length % 2 !== 0
      if (oddList || (!settings.replaceAuthorization && hasAuthorization(headers))) {
        const unsigned =
          headers === opts.headers
            ? forwarded
            : { ...forwarded, headers: headers as Dispatcher.DispatchOptions['headers'] }
        return dispatch(unsigned, watched(handler, plan.chain))
      }

      const signed = new SignedRequestHandler(
        settings,
        dispatch,
        forwarded,
        headers,
        audience,
        plan.overrides,
        plan.origin!,
        handler,
        plan.chain,
      )
      let authorization: string | undefined
      try {
        authorization = settings.provider.peekAuthorizationHeader(audience, plan.overrides)
        if (authorization === undefined) {
          signed.sendWhenSigned(settings.provider.getAuthorizationHeader(audience, plan.overrides))
          return true
        }
      } catch (error) {
        failUnsent(handler, error)
        return true
      }
      return signed.send(authorization)
    }
  }
}
