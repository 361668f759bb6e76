/**
 * The handler wrapped around every request that carries a token from this interceptor. It drops a
 * token that the server rejects with 401 and, when allowed, sends the request once more with a
 * new token.
 *
 * @module
 */

import type { AsapRequestOptions, Audience } from '@asap-auth/core'
import type { Dispatcher } from 'undici'
import { failUnsent } from './controller.js'
import { debug } from './debug.js'
import { type ReadableHeaders, withAuthorization } from './headers.js'
import type { ResolvedInterceptorOptions } from './options.js'
import { ForwardingHandler, type RedirectChain } from './redirect-chain.js'
import { isRetryableRequest } from './retry-policy.js'

/**
 * Sends one request with a token and watches its response for a 401.
 *
 * The caller's handler receives every hook of the attempt it is given. When a 401 is retried, the
 * 401's status, headers, body and trailers are read and dropped. The caller's handler then
 * receives `onRequestStart` a second time, which undici allows, and the second attempt's response.
 */
export class SignedRequestHandler extends ForwardingHandler {
  readonly #settings: ResolvedInterceptorOptions
  readonly #dispatch: Dispatcher.Dispatch
  /** The request options without `asap`. Each send replaces their headers with `#headers`. */
  readonly #opts: Dispatcher.DispatchOptions
  /** The request's headers without our token, in a shape that can be read more than once. */
  readonly #headers: ReadableHeaders
  readonly #audience: Audience
  readonly #overrides: AsapRequestOptions | undefined
  /** The origin the token was made for, as the request or the `origin` option names it. */
  readonly #origin: string
  /** The `Authorization` value of the attempt in flight. Never logged. */
  #authorization = ''
  /** True once the request has been sent a second time. It is never sent a third time. */
  #retried = false
  /** True while the body of a 401 that will be retried is read and dropped. */
  #discarding = false
  /** Hops already taken, as undici's redirect handler reports them in the request context. */
  #history: readonly unknown[] | undefined = undefined

  constructor(
    settings: ResolvedInterceptorOptions,
    dispatch: Dispatcher.Dispatch,
    opts: Dispatcher.DispatchOptions,
    headers: ReadableHeaders,
    audience: Audience,
    overrides: AsapRequestOptions | undefined,
    origin: string,
    handler: Dispatcher.DispatchHandler,
    chain: RedirectChain | undefined,
  ) {
    super(handler, chain)
    this.#settings = settings
    this.#dispatch = dispatch
    this.#opts = opts
    this.#headers = headers
    this.#audience = audience
    this.#overrides = overrides
    this.#origin = origin
  }

  /**
   * Dispatches the request with `authorization` as its only `Authorization` header and returns
   * the dispatcher's result.
   */
  send(authorization: string): boolean {
    this.#authorization = authorization
    const headers = withAuthorization(this.#headers, authorization)
    const opts = { ...this.#opts, headers: headers as Dispatcher.DispatchOptions['headers'] }
    return this.#dispatch(opts, this)
  }

  /**
   * Dispatches the request once `authorization` resolves. A rejection, or an error thrown while
   * dispatching, goes to the caller's handler and nothing is sent.
   */
  sendWhenSigned(authorization: Promise<string>): void {
    authorization.then(
      (value) => {
        try {
          this.send(value)
        } catch (error) {
          failUnsent(this.handler, error)
        }
      },
      (error: unknown) => {
        debug(
          'no token for audience %j, request to %s not sent: %s',
          this.#audience,
          this.#origin,
          (error as { code?: unknown })?.code ?? (error as Error)?.name,
        )
        failUnsent(this.handler, error)
      },
    )
  }

  override onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    const history = (context as { history?: unknown } | null | undefined)?.history
    this.#history = Array.isArray(history) ? history : undefined
    super.onRequestStart(controller, context)
  }

  override onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Parameters<NonNullable<Dispatcher.DispatchHandler['onResponseStart']>>[2],
    statusMessage?: string,
  ): void {
    if (statusCode === 401 && this.#answeredByTokenOrigin()) {
      this.#settings.provider.invalidate(this.#audience, { token: this.#authorization })
      if (this.#mayRetry()) {
        this.#retried = true
        this.#discarding = true
        debug('401 from %s for audience %j: token dropped, retrying', this.#origin, this.#audience)
        return
      }
      debug('401 from %s for audience %j: token dropped', this.#origin, this.#audience)
    }
    super.onResponseStart(controller, statusCode, headers, statusMessage)
  }

  override onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.#discarding) {
      super.onResponseData(controller, chunk)
    }
  }

  override onResponseEnd(
    controller: Dispatcher.DispatchController,
    trailers: Parameters<NonNullable<Dispatcher.DispatchHandler['onResponseEnd']>>[1],
  ): void {
    if (this.#discarding) {
      this.#discarding = false
      this.#retry()
      return
    }
    super.onResponseEnd(controller, trailers)
  }

  override onResponseError(controller: Dispatcher.DispatchController, error: Error): void {
    this.#discarding = false
    super.onResponseError(controller, error)
  }

  /**
   * Tells whether the response comes from the origin our token was sent to. When undici's redirect
   * interceptor runs inside this one, a response can come from a later hop on another origin,
   * which never received our token, so its 401 is not about the token.
   */
  #answeredByTokenOrigin(): boolean {
    const history = this.#history
    if (history === undefined || history.length === 0) {
      return true
    }
    const last = history[history.length - 1]
    if (!(last instanceof URL)) {
      return true
    }
    // `#origin` is the request's own spelling, which need not be the one URL.origin writes.
    const tokenOrigin = URL.canParse(this.#origin) ? new URL(this.#origin).origin : this.#origin
    return last.origin === tokenOrigin
  }

  #mayRetry(): boolean {
    return !this.#retried && this.#settings.retryOnUnauthorized && isRetryableRequest(this.#opts)
  }

  #retry(): void {
    const { provider } = this.#settings
    try {
      const authorization = provider.peekAuthorizationHeader(this.#audience, this.#overrides)
      if (authorization === undefined) {
        this.sendWhenSigned(provider.getAuthorizationHeader(this.#audience, this.#overrides))
      } else {
        this.send(authorization)
      }
    } catch (error) {
      failUnsent(this.handler, error)
    }
  }
}
