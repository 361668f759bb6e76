/**
 * Compile-only checks of the public types. Nothing here runs: `tsc` compiling this file is the
 * assertion, and each `@ts-expect-error` marks a call that must not compile.
 *
 * @module
 */

import { type AsapInterceptorOptions, asap } from '@asap-auth/undici'
import { Agent, type Dispatcher, Pool, request, setGlobalDispatcher, stream } from 'undici'
import { newProvider } from './helpers/fixtures.js'

const options: AsapInterceptorOptions = {
  provider: newProvider(),
  audience: { 'https://billing.internal': 'billing' },
  replaceAuthorization: false,
  retryOnUnauthorized: true,
}

const interceptor: Dispatcher.DispatcherComposeInterceptor = asap(options)
const agent: Dispatcher.ComposedDispatcher = new Agent().compose(interceptor)
const pool = new Pool('https://billing.internal').compose(
  asap({ ...options, origin: 'https://billing.internal' }),
)
new Agent().compose(asap({ ...options, signCrossOriginRedirects: true }))
// @ts-expect-error signCrossOriginRedirects is true or false
asap({ ...options, signCrossOriginRedirects: 'yes' })

export async function perRequestSettings(): Promise<void> {
  await request('https://billing.internal/a', { dispatcher: agent, asap: false })
  await request('https://billing.internal/a', {
    dispatcher: agent,
    asap: { audience: ['billing', 'audit'], subject: 'billing-client', claims: { tenant: 't' } },
  })
  await stream(
    'https://billing.internal/a',
    { dispatcher: agent, method: 'GET', asap: false },
    () => {
      throw new Error('not called')
    },
  )
  await pool.request({ path: '/a', method: 'GET', asap: { audience: 'billing' } })

  // @ts-expect-error opts.asap is false or an object
  await request('https://billing.internal/a', { dispatcher: agent, asap: true })
  // @ts-expect-error an audience is a string or a list of strings
  await request('https://billing.internal/a', { dispatcher: agent, asap: { audience: 1 } })
}

export async function globalFetch(): Promise<void> {
  setGlobalDispatcher(agent)
  await fetch('https://billing.internal/a')

  // @types/node 20 types init.dispatcher with undici 6's Dispatcher, which an undici 7 dispatcher
  // does not satisfy. This is the limitation the README documents, with its cast.
  // @ts-expect-error undici 7 dispatcher in Node 20's fetch init
  await fetch('https://billing.internal/a', { dispatcher: agent })
  await fetch('https://billing.internal/a', { dispatcher: agent } as unknown as RequestInit)
}

// @ts-expect-error provider and audience are required
asap({ retryOnUnauthorized: false })
