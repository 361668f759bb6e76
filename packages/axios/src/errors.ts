/**
 * Errors specific to the axios adapter. Option errors come from `@asap-auth/core`.
 *
 * @module
 */

import { AsapError } from '@asap-auth/core'

/**
 * The request's URL pointed to another origin when axios dispatched it than when the ASAP
 * interceptor added the token, usually because an interceptor that ran later changed `url` or
 * `baseURL`. The request is not sent. Code `ERR_ASAP_URL_CHANGED`.
 */
export class AsapUrlChangedError extends AsapError {
  static readonly code = 'ERR_ASAP_URL_CHANGED'
  constructor(message: string) {
    super(AsapUrlChangedError.code, message, { field: 'url' })
  }
}
