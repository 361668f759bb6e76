/**
 * The client set-ups that part 3 compares, for undici and for axios.
 *
 * Between "no token" and "ASAP" sit three variants that attribute the cost. A pass-through
 * interceptor sends no token and changes nothing: the cost of the client's interceptor machinery
 * alone. One sends the same token as a fixed header in the request options: the cost of the
 * longer request. The last sets that header from a minimal interceptor: both costs together.
 * What ASAP adds on top of the minimal interceptor is the adapter's own work.
 *
 * @module
 */

import { Agent as HttpAgent } from 'node:http'
import { withAsap } from '@asap-auth/axios'
import type { TokenProvider } from '@asap-auth/core'
import { asap } from '@asap-auth/undici'
import axios from 'axios'
import { Agent, type Dispatcher } from 'undici'
import { AUDIENCE } from './fixtures.js'

/** The variant names; the first is the baseline of every comparison. */
export const WITHOUT_TOKEN = 'no token'
export const PASS_THROUGH_VARIANT = 'no token, pass-through interceptor'
export const HEADER_VARIANT = 'fixed token in the request options'
export const MINIMAL_INTERCEPTOR_VARIANT = 'fixed token from a minimal interceptor'
export const CACHED_VARIANT = 'ASAP interceptor, cached token'
export const SIGNING_VARIANT = 'ASAP interceptor, signs every request'

/** The set-up of one variant's client. */
export interface VariantPlan {
  readonly name: string
  /** Whether the server must see an `Authorization` header. */
  readonly authorized: boolean
  /** An `Authorization` value sent in the options of every request. */
  readonly requestHeader?: string
  /** An `Authorization` value set by the least an interceptor can do: set the header. */
  readonly interceptorHeader?: string
  /** Install an interceptor that passes every request on unchanged. */
  readonly passThrough?: boolean
  /** Install ASAP with this provider. */
  readonly provider?: TokenProvider
}

/** One way of sending requests. */
export interface Variant {
  readonly name: string
  readonly authorized: boolean
  /** Sends one GET, reads the body, and returns the `x-authorization` response header. */
  send(): Promise<string | undefined>
  close(): Promise<void>
}

/**
 * Returns the six variant plans. `header` is the cached token's `Authorization` value, so the
 * fixed-token variants send exactly as many bytes as the caching interceptor.
 */
export function variantPlans(
  cached: TokenProvider,
  uncached: TokenProvider,
  header: string,
): VariantPlan[] {
  return [
    { name: WITHOUT_TOKEN, authorized: false },
    { name: PASS_THROUGH_VARIANT, authorized: false, passThrough: true },
    { name: HEADER_VARIANT, authorized: true, requestHeader: header },
    { name: MINIMAL_INTERCEPTOR_VARIANT, authorized: true, interceptorHeader: header },
    { name: CACHED_VARIANT, authorized: true, provider: cached },
    { name: SIGNING_VARIANT, authorized: true, provider: uncached },
  ]
}

function passThroughInterceptor(): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) =>
    function passThrough(opts, handler) {
      return dispatch(opts, handler)
    }
}

function minimalInterceptor(header: string): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) =>
    function setAuthorization(opts, handler) {
      const headers = { ...(opts.headers as Record<string, string>), authorization: header }
      return dispatch({ ...opts, headers }, handler)
    }
}

/** Creates an undici `Agent` for `plan`, composed with the plan's interceptor if it has one. */
export function createUndiciVariant(origin: string, plan: VariantPlan): Variant {
  const agent = new Agent()
  let dispatcher: Dispatcher = agent
  if (plan.passThrough === true) {
    dispatcher = agent.compose(passThroughInterceptor())
  } else if (plan.interceptorHeader !== undefined) {
    dispatcher = agent.compose(minimalInterceptor(plan.interceptorHeader))
  } else if (plan.provider !== undefined) {
    dispatcher = agent.compose(asap({ provider: plan.provider, audience: { [origin]: AUDIENCE } }))
  }
  const headers =
    plan.requestHeader === undefined ? undefined : { authorization: plan.requestHeader }

  return {
    name: plan.name,
    authorized: plan.authorized,
    async send() {
      const response = await dispatcher.request({ origin, path: '/', method: 'GET', headers })
      await response.body.text()
      return response.headers['x-authorization'] as string | undefined
    },
    close: () => agent.close(),
  }
}

/** Creates an axios instance for `plan`, with the plan's interceptors if it has any. */
export function createAxiosVariant(origin: string, plan: VariantPlan): Variant {
  const httpAgent = new HttpAgent({ keepAlive: true })
  const headers =
    plan.requestHeader === undefined ? undefined : { Authorization: plan.requestHeader }
  const instance = axios.create({ baseURL: origin, httpAgent, responseType: 'text', headers })

  const { interceptorHeader } = plan
  if (plan.passThrough === true) {
    instance.interceptors.request.use((config) => config)
    instance.interceptors.response.use((response) => response)
  } else if (interceptorHeader !== undefined) {
    // withAsap installs one request and one response interceptor, so this variant does too.
    instance.interceptors.request.use((config) => {
      config.headers.set('Authorization', interceptorHeader)
      return config
    })
    instance.interceptors.response.use((response) => response)
  } else if (plan.provider !== undefined) {
    withAsap(instance, { provider: plan.provider, audience: { [origin]: AUDIENCE } })
  }

  return {
    name: plan.name,
    authorized: plan.authorized,
    async send() {
      const response = await instance.get<string>('/')
      return response.headers['x-authorization'] as string | undefined
    },
    async close() {
      httpAgent.destroy()
    },
  }
}
