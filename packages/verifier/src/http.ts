/**
 * Verifying Node `http` requests, and an Express-style middleware that responds with 401 or 403.
 *
 * @module
 */

import type { IncomingMessage, ServerResponse } from 'node:http'
import { debug } from './debug.js'
import {
  AsapVerificationError,
  ASAP_VERIFICATION_ERROR_CODES as codes,
  isAsapVerificationError,
  wwwAuthenticateHeader,
} from './errors.js'
import type { VerifiedToken, Verifier } from './verifier.js'

declare global {
  // Express merges this into its Request type, so `req.asap` is typed in Express handlers.
  namespace Express {
    interface Request {
      /** The verified ASAP token, set by the ASAP middleware. */
      asap?: VerifiedToken
    }
  }
}

/** A Node request after the ASAP middleware accepted it. */
export interface AsapRequest extends IncomingMessage {
  /** The verified token's claims and header. */
  asap?: VerifiedToken
}

/** The `next` callback of an Express-style middleware. */
export type NextFunction = (error?: unknown) => void

/** An Express-style middleware, also callable from a plain `node:http` handler. */
export type AsapMiddleware = (
  request: IncomingMessage,
  response: ServerResponse,
  next: NextFunction,
) => Promise<void>

/**
 * Returns the request's `Authorization` header value as received, or `undefined` when it has
 * none. Pass it to {@link Verifier.verifyAuthorizationHeader}, which requires the `Bearer` scheme.
 *
 * @throws {AsapVerificationError} `ERR_ASAP_TOKEN_MALFORMED` when the request has several
 * `Authorization` headers. (Node would otherwise keep the first and drop the rest.)
 */
export function readAuthorizationHeader(request: IncomingMessage): string | undefined {
  // Counted in rawHeaders, which Node has already built, instead of headersDistinct, which Node
  // builds for all headers on first use.
  const raw: readonly string[] = request.rawHeaders ?? []
  let count = 0
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!
    if (name.length === 13 && name.toLowerCase() === 'authorization') {
      count++
    }
  }
  if (count > 1) {
    throw new AsapVerificationError(
      codes.TOKEN_MALFORMED,
      `The request has ${count} Authorization headers: send exactly one.`,
    )
  }
  return request.headers.authorization
}

/**
 * Verifies the ASAP token in the `Authorization` header of a Node `http` request. The header must
 * be `Bearer <token>`, and a header that holds only a token is rejected. Works with any framework
 * whose request is an `IncomingMessage`, such as Express, Koa's `ctx.req` or Fastify's
 * `request.raw`.
 *
 * @throws {AsapVerificationError} when the header is missing, has no `Bearer` scheme, or the
 * token fails verification.
 */
export async function verifyRequest(
  verifier: Verifier,
  request: IncomingMessage,
): Promise<VerifiedToken> {
  return verifier.verifyAuthorizationHeader(readAuthorizationHeader(request))
}

/**
 * Sends the response to a failed verification: status 401 with `WWW-Authenticate: Bearer` (and
 * `error="invalid_token"` when the request carried a bearer token), or 403 when the issuer is not
 * allowed. The body is a plain "Unauthorized" or "Forbidden" and carries no detail of the failure
 * and never the token. When the response has already started, it is only ended.
 */
export function sendVerificationFailure(response: ServerResponse, error: AsapVerificationError) {
  if (response.headersSent) {
    response.end()
    return
  }
  const challenge = wwwAuthenticateHeader(error)
  const body = error.status === 403 ? 'Forbidden\n' : 'Unauthorized\n'

  response.statusCode = error.status
  if (challenge !== undefined) {
    response.setHeader('WWW-Authenticate', challenge)
  }
  response.setHeader('Content-Type', 'text/plain; charset=utf-8')
  response.setHeader('Content-Length', Buffer.byteLength(body))
  response.setHeader('Cache-Control', 'no-store')
  response.end(body)
}

/**
 * Creates an Express-style middleware `(req, res, next)`. On success it sets
 * `req.asap = { claims, header }` and calls `next()`. On a failed verification it responds through
 * {@link sendVerificationFailure} and does not call `next`. Any other error goes to `next(error)`.
 *
 * @example Protect an Express app
 * ```ts
 * const verifier = createVerifier({ audience: 'invoices', keyRepository: 'https://keys.example.com/' })
 * app.use(createAsapMiddleware(verifier))
 * app.get('/invoices', (req, res) => res.json({ caller: req.asap?.claims.iss }))
 * ```
 *
 * @example Use it in a plain node:http server
 * ```ts
 * const asap = createAsapMiddleware(verifier)
 * http.createServer((req, res) => {
 *   asap(req, res, (error) => {
 *     if (error) { res.statusCode = 500; res.end(); return }
 *     res.end(`hello ${(req as AsapRequest).asap?.claims.iss}`)
 *   })
 * })
 * ```
 */
export function createAsapMiddleware(verifier: Verifier): AsapMiddleware {
  return async function asapMiddleware(request, response, next): Promise<void> {
    let verified: VerifiedToken
    try {
      verified = await verifyRequest(verifier, request)
    } catch (error) {
      if (isAsapVerificationError(error)) {
        debug('responded %d to a %s request: %s', error.status, request.method, error.code)
        sendVerificationFailure(response, error)
        return
      }
      next(error)
      return
    }

    ;(request as AsapRequest).asap = verified
    next()
  }
}
