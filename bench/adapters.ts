/**
 * Part 3, second half: the interceptors' own code on a cache hit, without a network. The undici
 * interceptor hands the request to a stub `dispatch` that sends nothing, and the axios request
 * interceptor is called on a fresh request config.
 *
 * @module
 */

import { asapRequestInterceptor } from '@asap-auth/axios'
import { createTokenProvider } from '@asap-auth/core'
import { asap } from '@asap-auth/undici'
import { AxiosHeaders, type InternalAxiosRequestConfig } from 'axios'
import type { Dispatcher } from 'undici'
import { AUDIENCE, type KeySet, signerOptions } from './fixtures.js'
import { type CallRow, type MeasureBudget, measureCalls } from './measure.js'

/** Results of the interceptors measured without a network. */
export interface AdapterResult {
  readonly rows: readonly CallRow[]
}

/** An origin that is never contacted: nothing here opens a connection. */
const ORIGIN = 'http://127.0.0.1:9'

function readAuthorization(headers: unknown): unknown {
  if (headers instanceof AxiosHeaders) {
    return headers.get('authorization')
  }
  return (headers as Record<string, unknown> | undefined)?.authorization
}

/**
 * Measures each interceptor's time and allocation per request on a cache hit, next to the same
 * call without the interceptor.
 *
 * @throws {Error} when an interceptor did not attach the token, or signed one while measured.
 */
export async function benchAdapters(keys: KeySet, budget: MeasureBudget): Promise<AdapterResult> {
  const provider = createTokenProvider(signerOptions(keys, 'RS256'))
  const audience = { [ORIGIN]: AUDIENCE }
  const header = await provider.getAuthorizationHeader(AUDIENCE)
  const warmSignings = provider.stats().signed

  let dispatched: Dispatcher.DispatchOptions | undefined
  const stubDispatch: Dispatcher.Dispatch = (opts) => {
    dispatched = opts
    return true
  }
  const undiciInterceptor = asap({ provider, audience })(stubDispatch)
  const opts: Dispatcher.DispatchOptions = {
    origin: ORIGIN,
    path: '/',
    method: 'GET',
    headers: { accept: 'text/plain' },
  }
  const unmapped: Dispatcher.DispatchOptions = { ...opts, origin: 'http://127.0.0.1:10' }
  const handler: Dispatcher.DispatchHandler = {}

  const axiosInterceptor = asapRequestInterceptor({ provider, audience })
  const config = () =>
    ({
      url: '/',
      baseURL: ORIGIN,
      method: 'get',
      headers: new AxiosHeaders({ Accept: 'text/plain' }),
    }) as InternalAxiosRequestConfig

  const undiciBaseline = 'dispatch(opts, handler)'
  const axiosBaseline = 'config()'
  const rows = await measureCalls(
    [
      { call: undiciBaseline, run: () => stubDispatch(opts, handler) },
      {
        call: 'asap(options)(dispatch)(opts, handler)',
        run: () => undiciInterceptor(opts, handler),
        baseline: undiciBaseline,
      },
      {
        call: 'asap(options)(dispatch)(opts, handler), origin not mapped',
        run: () => undiciInterceptor(unmapped, handler),
        baseline: undiciBaseline,
      },
      { call: axiosBaseline, run: config },
      {
        call: 'asapRequestInterceptor(options)(config())',
        run: () => axiosInterceptor(config()),
        baseline: axiosBaseline,
      },
    ],
    budget,
  )

  undiciInterceptor(opts, handler)
  if (readAuthorization(dispatched?.headers) !== header) {
    throw new Error('The undici interceptor did not put the cached token on the request.')
  }
  const configured = await axiosInterceptor(config())
  if (readAuthorization(configured.headers) !== header) {
    throw new Error('The axios interceptor did not put the cached token on the request config.')
  }
  const signed = provider.stats().signed - warmSignings
  if (signed !== 0) {
    throw new Error(`The interceptors signed ${signed} tokens; every request should hit the cache.`)
  }
  return { rows }
}
