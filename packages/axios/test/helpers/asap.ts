/**
 * The ASAP side of the tests: a key pair, providers that sign with it, and a verifier that checks
 * a received `Authorization` header the way an ASAP receiver does, with jose.
 *
 * @module
 */

import {
  createTokenProvider,
  type SignerOptions,
  type TokenProvider,
  type TokenProviderOptions,
} from '@asap-auth/core'
import { generateKeys } from '../../../../test/helpers/keys.js'
import { jose } from './jose.js'
import { type Responder, sendJson } from './servers.js'

/** The issuer of every test token. */
export const ISSUER = 'orders'
/** The key ID of every test token. */
export const KEY_ID = 'orders/key-1'

/** The test key pair, generated once per test process. */
export const keys = generateKeys('ES256')

/** Creates a provider that signs with the test key. */
export function createTestProvider(
  options: Partial<SignerOptions> & TokenProviderOptions = {},
): TokenProvider {
  return createTokenProvider({
    issuer: ISSUER,
    keyId: KEY_ID,
    privateKey: keys.pkcs8Pem,
    algorithm: 'ES256',
    ...options,
  })
}

/** A token that passed {@link verifyAuthorization}. */
export interface VerifiedToken {
  readonly token: string
  readonly header: Awaited<ReturnType<typeof jose.jwtVerify>>['protectedHeader']
  readonly payload: Awaited<ReturnType<typeof jose.jwtVerify>>['payload']
}

/**
 * Verifies an `Authorization` value as an ASAP receiver whose identifier is `audience` does:
 * `Bearer` scheme, signature against the test public key, `typ`, `iss`, `aud`, `exp`, `kid`
 * starting with `<iss>/`, a `jti`, and a lifetime of at most 3600 seconds.
 *
 * @throws Error naming the check that failed.
 */
export async function verifyAuthorization(
  value: string | undefined,
  audience: string,
): Promise<VerifiedToken> {
  if (value === undefined || !value.startsWith('Bearer ')) {
    throw new Error(
      `expected "Bearer <token>", got ${value === undefined ? 'no header' : 'another scheme'}`,
    )
  }
  const token = value.slice('Bearer '.length)
  const { payload, protectedHeader } = await jose.jwtVerify(token, keys.publicKey, {
    audience,
    issuer: ISSUER,
    algorithms: ['ES256'],
    typ: 'JWT',
    requiredClaims: ['iss', 'aud', 'iat', 'exp', 'jti'],
  })
  if (protectedHeader.kid === undefined || !protectedHeader.kid.startsWith(`${payload.iss}/`)) {
    throw new Error(`kid ${protectedHeader.kid} does not start with ${payload.iss}/`)
  }
  if (payload.exp! - payload.iat! > 3600) {
    throw new Error(`lifetime ${payload.exp! - payload.iat!} s exceeds 3600 s`)
  }
  return { token, header: protectedHeader, payload }
}

/**
 * Returns a responder for a receiver whose identifier is `audience`. It responds 200 with the
 * token's claims when the request carries exactly one valid ASAP token, and 401 with
 * `WWW-Authenticate: Bearer` otherwise.
 */
export function asapResponder(audience: string): Responder {
  return async (request, response) => {
    if (request.authorizations.length !== 1) {
      response.setHeader('www-authenticate', 'Bearer')
      sendJson(response, 401, { error: `${request.authorizations.length} Authorization headers` })
      return
    }
    try {
      const { payload } = await verifyAuthorization(request.authorizations[0], audience)
      sendJson(response, 200, payload)
    } catch (error) {
      response.setHeader('www-authenticate', 'Bearer')
      sendJson(response, 401, { error: (error as Error).message })
    }
  }
}
