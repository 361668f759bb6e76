/**
 * Shared test fixtures: one ES256 key pair, token providers that use it, and verifying servers.
 *
 * @module
 */

import { createTokenProvider, type TokenProvider, type TokenProviderOptions } from '@asap-auth/core'
import type { Dispatcher } from 'undici'
import { generateKeys } from '../../../../test/helpers/keys.js'
import { type Responder, startServer, type TestServer } from './server.js'

/** The issuer of every test token. */
export const ISSUER = 'undici-client'

/** The key ID of every test token. */
export const KEY_ID = 'undici-client/key-1'

/** The test key pair. */
export const keys = generateKeys('ES256', 'undici-adapter')

/** Creates a token provider that signs with the test key. */
export function newProvider(options: TokenProviderOptions = {}): TokenProvider {
  return createTokenProvider({
    issuer: ISSUER,
    keyId: KEY_ID,
    privateKey: keys.pkcs8Pem,
    algorithm: 'ES256',
    ...options,
  })
}

/** Starts a verifying server that accepts tokens for `audience` from the test issuer. */
export function startVerifyingServer(audience: string, respond?: Responder): Promise<TestServer> {
  return startServer({
    audience,
    issuer: ISSUER,
    publicKey: keys.publicKey,
    ...(respond === undefined ? {} : { respond }),
  })
}

/** One call to the dispatch function below an interceptor. */
export interface SeenDispatch {
  readonly opts: Dispatcher.DispatchOptions
}

/**
 * Returns an interceptor that records the options of every dispatch that reaches it. Compose it
 * first (innermost) to see what the ASAP interceptor passes on.
 */
export function recordDispatches(seen: SeenDispatch[]): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) =>
    function recordingInterceptor(opts, handler) {
      seen.push({ opts })
      return dispatch(opts, handler)
    }
}
