/**
 * The ASAP verifier: checks every option once, then verifies tokens in the protocol's order.
 *
 * @module
 */

import { inspect } from 'node:util'
import { type AsapClaims, AsapInvalidOptionError } from '@asap-auth/core'
import { parseAuthorizationHeader, readBareToken, readTokenOrHeader } from './authorization.js'
import { checkClaims } from './claims.js'
import { debug } from './debug.js'
import { isAsapVerificationError } from './errors.js'
import { checkKeyIdScope } from './key-id-scope.js'
import { createPublicKeyLookup } from './key-repository.js'
import { resolveVerifierOptions, type VerifierOptions } from './options.js'
import { createReplayCheck } from './replay.js'
import { verifySignature } from './signature.js'
import { decodeToken, type VerifiedHeader } from './token.js'

/** The result of a successful verification. */
export interface VerifiedToken {
  /** The token's claims, all checked. */
  readonly claims: AsapClaims
  /** The token's protected header. */
  readonly header: VerifiedHeader
}

/** Verifies ASAP tokens. Create one with {@link createVerifier}. */
export interface Verifier {
  /** The accepted audiences. */
  readonly audiences: readonly string[]
  /**
   * Verifies a token, given bare or as an `Authorization` header value (`Bearer <token>`, the
   * scheme in any case, one space, and the token). A value without whitespace is read as a bare
   * token.
   *
   * @throws {AsapVerificationError} with a `code` naming the first check that failed and the
   * HTTP `status` to respond with.
   */
  verify(tokenOrAuthorizationHeader: string | undefined | null): Promise<VerifiedToken>
  /**
   * Verifies the token in an `Authorization` header value, which must be `Bearer <token>`. A value
   * that holds only a token is rejected with `ERR_ASAP_AUTHORIZATION_SCHEME_UNSUPPORTED`, as the
   * reference verifier does. {@link verifyRequest} and the middleware use this method.
   *
   * @throws {AsapVerificationError} with a `code` naming the first check that failed and the
   * HTTP `status` to respond with.
   */
  verifyAuthorizationHeader(authorizationHeader: string | undefined | null): Promise<VerifiedToken>
  /**
   * Verifies a bare token, for tokens that arrive outside an `Authorization` header. A value with
   * a scheme, such as `Bearer <token>`, is rejected with `ERR_ASAP_TOKEN_MALFORMED`.
   *
   * @throws {AsapVerificationError} with a `code` naming the first check that failed and the
   * HTTP `status` to respond with.
   */
  verifyToken(token: string | undefined | null): Promise<VerifiedToken>
}

/**
 * Creates a {@link Verifier}. Every option is checked here, so a configuration mistake throws at
 * start-up instead of on the first request.
 *
 * A token is verified in this order. First the `Authorization` value is parsed, and the header is
 * decoded without trusting it, so that its `alg` and `kid` are checked before use. With
 * `allowedIssuers`, a `kid` outside the allowed issuers is rejected here. Then the public key is
 * fetched or taken from the cache, the signature is verified, and the claims are checked. Last,
 * when `rejectReplayedJti` is on, the `jti` is checked and recorded.
 *
 * @example Verify the Authorization header of a request
 * ```ts
 * const verifier = createVerifier({
 *   audience: 'invoices',
 *   keyRepository: 'https://keys.example.com/',
 * })
 * const { claims } = await verifier.verify(request.headers.authorization)
 * ```
 *
 * @throws {AsapMissingOptionError} when `audience` or `keyRepository` is missing.
 * @throws {AsapInvalidOptionError} when an option is invalid.
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const settings = resolveVerifierOptions(options)
  const { claimRules, clock } = settings
  const lookUpPublicKey = createPublicKeyLookup(settings)
  const checkReplay =
    settings.replayCacheMaxEntries === undefined
      ? undefined
      : createReplayCheck(settings.replayCacheMaxEntries, claimRules.leeway, clock)

  async function runVerification(token: string): Promise<VerifiedToken> {
    const { header, payload } = decodeToken(token)
    checkKeyIdScope(header.kid, claimRules.allowedIssuers)

    const key = await lookUpPublicKey(header.kid)
    await verifySignature(token, header, key)

    const now = clock.now()
    if (!Number.isFinite(now)) {
      // Every time check would pass against NaN, so a broken clock must not accept anything.
      throw new AsapInvalidOptionError(
        `Invalid clock: now() returned ${String(now)}, but it must return milliseconds since the Unix epoch.`,
        { field: 'clock' },
      )
    }
    const claims = checkClaims(payload, header.kid, claimRules, now / 1000)
    checkReplay?.(claims, header.kid)

    debug(
      'accepted token kid=%s iss=%s jti=%j exp=%d',
      header.kid,
      claims.iss,
      claims.jti,
      claims.exp,
    )
    return Object.freeze({ claims, header })
  }

  const audiences = Object.freeze([...claimRules.audiences])
  const summary = {
    audiences,
    keyRepository:
      settings.keySource.kind === 'http'
        ? settings.keySource.repositories.map((url) => url.href)
        : 'function',
    leeway: claimRules.leeway,
    maxLifetime: claimRules.maxLifetime,
    allowedIssuers:
      claimRules.allowedIssuers === undefined ? undefined : [...claimRules.allowedIssuers],
    rejectReplayedJti: checkReplay !== undefined,
  }

  async function verifyLogged(readToken: () => string): Promise<VerifiedToken> {
    try {
      return await runVerification(readToken())
    } catch (error) {
      if (isAsapVerificationError(error)) {
        debug('rejected token %s kid=%s: %s', error.code, error.keyId ?? '(none)', error.message)
      }
      throw error
    }
  }

  return Object.freeze({
    audiences,
    verify: (tokenOrAuthorizationHeader: string | undefined | null) =>
      verifyLogged(() => readTokenOrHeader(tokenOrAuthorizationHeader)),
    verifyAuthorizationHeader: (authorizationHeader: string | undefined | null) =>
      verifyLogged(() => parseAuthorizationHeader(authorizationHeader)),
    verifyToken: (token: string | undefined | null) => verifyLogged(() => readBareToken(token)),
    toJSON: () => summary,
    [inspect.custom]: () => `Verifier ${inspect(summary)}`,
  })
}
