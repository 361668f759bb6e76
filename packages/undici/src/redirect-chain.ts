/**
 * Recognises the redirect hops of a request, so that the interceptor can tie per-request settings
 * to the origin the request started at.
 *
 * undici's redirect interceptor (as of 7.30) dispatches the next hop from the `onResponseEnd` hook
 * of the redirect response, before that call returns, with a copy of the request options that
 * keeps the same `opts.asap` value. A handler around each request marks the redirect response
 * whose end it passes on, and a dispatch that arrives during that call with the same `opts.asap`
 * is taken as the next hop of that request.
 *
 * @module
 */

import type { Dispatcher } from 'undici'

/** The status codes undici's redirect interceptor follows (undici 7.30). */
const REDIRECT_STATUS_CODES: ReadonlySet<number> = new Set([300, 301, 302, 303, 307, 308])

/** Returns true for a status code that undici's redirect interceptor may follow. */
export function isRedirectStatus(statusCode: number): boolean {
  return REDIRECT_STATUS_CODES.has(statusCode)
}

/** The first request of a redirect chain, which every later hop is compared with. */
export interface RedirectChain {
  /** The tracker of the composed dispatcher the request goes through. */
  readonly tracker: RedirectTracker
  /**
   * The origin the first request goes to, as the request or the `origin` option names it, or
   * `undefined` when it is unknown.
   */
  readonly origin: string | undefined
  /** The first request's `opts.asap`. Every hop carries the same value. */
  readonly setting: unknown
}

/** The redirect responses in progress on one composed dispatcher. */
export class RedirectTracker {
  /** The chain whose redirect response is being passed on, during that call only. */
  #ending: RedirectChain | undefined = undefined

  /**
   * Returns the chain that a request with this `opts.asap` continues, or `undefined` when the
   * request is not a redirect hop.
   */
  chainOf(setting: unknown): RedirectChain | undefined {
    const ending = this.#ending
    return ending !== undefined && ending.setting === setting ? ending : undefined
  }

  /** Calls `end`, which passes the end of a redirect response on, with `chain` marked. */
  endRedirect(chain: RedirectChain, end: () => void): void {
    const previous = this.#ending
    this.#ending = chain
    try {
      end()
    } finally {
      this.#ending = previous
    }
  }
}

/**
 * Returns true when the two origins are the same. `first` may be spelled as the caller wrote it,
 * and redirect hops name their origin as `URL.origin` writes it.
 */
export function isSameOrigin(first: string | undefined, next: string | undefined): boolean {
  if (first === undefined || next === undefined) {
    return false
  }
  if (first === next) {
    return true
  }
  if (!URL.canParse(first) || !URL.canParse(next)) {
    return false
  }
  return new URL(first).origin === new URL(next).origin
}

/**
 * A handler that passes every hook on to `handler` unchanged, and marks the end of a redirect
 * response of a tracked chain, so that the next hop is recognised. It wraps requests sent without
 * a token, and is the base of the handler of signed requests.
 */
export class ForwardingHandler implements Dispatcher.DispatchHandler {
  protected readonly handler: Dispatcher.DispatchHandler
  readonly #chain: RedirectChain | undefined
  /** True when the response passed on to `handler` is a redirect. */
  #redirected = false

  constructor(handler: Dispatcher.DispatchHandler, chain: RedirectChain | undefined) {
    this.handler = handler
    this.#chain = chain
  }

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.handler.onRequestStart?.(controller, context)
  }

  onRequestUpgrade(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Parameters<NonNullable<Dispatcher.DispatchHandler['onRequestUpgrade']>>[2],
    socket: Parameters<NonNullable<Dispatcher.DispatchHandler['onRequestUpgrade']>>[3],
  ): void {
    this.handler.onRequestUpgrade?.(controller, statusCode, headers, socket)
  }

  /** Passes on the deprecated hook that `fetch` uses for resource timing. */
  onResponseStarted(): void {
    this.handler.onResponseStarted?.()
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Parameters<NonNullable<Dispatcher.DispatchHandler['onResponseStart']>>[2],
    statusMessage?: string,
  ): void {
    this.#redirected = isRedirectStatus(statusCode)
    this.handler.onResponseStart?.(controller, statusCode, headers, statusMessage)
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.handler.onResponseData?.(controller, chunk)
  }

  onResponseEnd(
    controller: Dispatcher.DispatchController,
    trailers: Parameters<NonNullable<Dispatcher.DispatchHandler['onResponseEnd']>>[1],
  ): void {
    const chain = this.#chain
    if (chain === undefined || !this.#redirected) {
      this.handler.onResponseEnd?.(controller, trailers)
      return
    }
    chain.tracker.endRedirect(chain, () => this.handler.onResponseEnd?.(controller, trailers))
  }

  onResponseError(controller: Dispatcher.DispatchController, error: Error): void {
    this.handler.onResponseError?.(controller, error)
  }
}
