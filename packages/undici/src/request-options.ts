/**
 * The per-request `opts.asap` setting and the type augmentation that lets callers pass it to
 * undici's `request`, `stream`, `pipeline` and `dispatch`.
 *
 * @module
 */

import { type AsapRequestOptions, readRequestOptions } from '@asap-auth/core'

/**
 * Per-request setting, given as `opts.asap`:
 * - `false` sends the request without a token, even to a mapped origin;
 * - `{ audience, subject, claims }` changes the token for this request. The origin must still be
 *   mapped: a token never goes to an origin the interceptor options do not name.
 *
 * The interceptor removes `asap` from the options before it passes them on.
 */
export type AsapDispatchSetting = false | AsapRequestOptions

declare module 'undici' {
  namespace Dispatcher {
    interface DispatchOptions {
      /**
       * Per-request ASAP setting, read and removed by the `asap()` interceptor from
       * `@asap-auth/undici`. `false` sends no token; an object changes the audience, subject or
       * claims of this request's token. `fetch` does not pass it on.
       */
      asap?: AsapDispatchSetting | undefined
    }
  }
}

/**
 * Returns the per-request overrides from an `opts.asap` that is not `false`, or `undefined` when it
 * is unset.
 *
 * @throws {AsapInvalidOptionError} when `opts.asap` is neither unset, `false` nor an object with
 *   only `audience`, `subject` and `claims`, or when `claims` sets `aud`.
 */
export function readRequestOverrides(value: unknown): AsapRequestOptions | undefined {
  return readRequestOptions(value, 'the dispatch options') || undefined
}
