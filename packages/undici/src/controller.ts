/**
 * The controller handed to a handler whose request failed before it was dispatched.
 *
 * @module
 */

import type { Dispatcher } from 'undici'

/**
 * Returns a controller for a request that was never sent: nothing to pause, resume or abort.
 * undici's own cache interceptor passes the same kind of controller when its asynchronous store
 * fails, and `aborted` is `false` so that an outer `retry()` interceptor still applies its rules
 * to the error.
 */
function createUnsentController(): Dispatcher.DispatchController {
  return {
    get aborted() {
      return false
    },
    get paused() {
      return false
    },
    get reason() {
      return null
    },
    rawHeaders: null,
    rawTrailers: null,
    abort() {},
    pause() {},
    resume() {},
  }
}

/**
 * Reports an error to `handler` for a request that was never sent.
 *
 * undici's handler contract does not require `onRequestStart` before `onResponseError`: undici's
 * core reports a failed connection the same way, and its `cache` and `dns` interceptors report
 * their asynchronous failures like this. The caller's handler receives `onRequestStart` only when the
 * request is really dispatched, so an abort signal fired while a token was being signed takes
 * effect at that point.
 */
export function failUnsent(handler: Dispatcher.DispatchHandler, error: unknown): void {
  handler.onResponseError?.(createUnsentController(), error as Error)
}
