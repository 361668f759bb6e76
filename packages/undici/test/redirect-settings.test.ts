import { asap } from '@asap-auth/undici'
import { Agent, type Dispatcher, interceptors, request } from 'undici'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ISSUER, newProvider, startVerifyingServer } from './helpers/fixtures.js'
import type { Responder, TestServer } from './helpers/server.js'

/** Mapped to audience `billing`. Redirects `/to-<name>` to `<server>/landing`. */
let first: TestServer
/** Mapped to audience `ledger`. Redirects `/back` to the first server's `/landing`. */
let mapped: TestServer
/** Not mapped. */
let unmapped: TestServer
let agents: Dispatcher[] = []

const redirecting: Responder = (received, response, self) => {
  const targets: Record<string, TestServer> = {
    '/to-mapped': mapped,
    '/to-unmapped': unmapped,
    '/to-same': self,
  }
  const target = targets[received.path]
  if (target !== undefined) {
    response.writeHead(302, { location: `${target.origin}/landing` }).end('moved')
    return
  }
  response.writeHead(200).end(`landed with ${received.claims?.aud ?? 'no token'}`)
}

const redirectingBack: Responder = (received, response) => {
  if (received.path === '/back') {
    response.writeHead(307, { location: `${first.origin}/landing` }).end('moved')
    return
  }
  response.writeHead(200).end(`landed with ${received.claims?.aud ?? 'no token'}`)
}

/** The per-request setting of most tests. `first` accepts it: its audience includes `billing`. */
const setting = {
  audience: ['billing', 'billing-admin'],
  subject: 'user-42',
  claims: { tenant: 't-1' },
}

beforeAll(async () => {
  first = await startVerifyingServer('billing', redirecting)
  mapped = await startVerifyingServer('ledger', redirectingBack)
  unmapped = await startVerifyingServer('unmapped')
})

afterEach(async () => {
  await Promise.all(agents.map((agent) => agent.close()))
  agents = []
  for (const server of [first, mapped, unmapped]) {
    server.requests.length = 0
  }
})

afterAll(async () => {
  await Promise.all([first.close(), mapped.close(), unmapped.close()])
})

/** Composes `asap()` inside `redirect()`, with `between` (if any) between the two. */
function compose(
  options: { signCrossOriginRedirects?: boolean } = {},
  between?: Dispatcher.DispatcherComposeInterceptor,
) {
  const provider = newProvider()
  const agent = new Agent()
  agents.push(agent)
  const auth = asap({
    provider,
    audience: { [first.origin]: 'billing', [mapped.origin]: 'ledger' },
    ...options,
  })
  const redirect = interceptors.redirect({ maxRedirections: 3 })
  const dispatcher =
    between === undefined ? agent.compose(auth, redirect) : agent.compose(auth, between, redirect)
  return { provider, dispatcher }
}

async function follow(dispatcher: Dispatcher, url: string, options: object = {}) {
  const response = await request(url, { dispatcher, ...options })
  return { status: response.statusCode, body: await response.body.text() }
}

/** Checks that `server` received one valid token with the per-request setting applied. */
function expectRequestSetting(server: TestServer, index: number): void {
  const received = server.requests[index]
  expect(received?.authorizations).toHaveLength(1)
  expect(received?.claims?.aud).toEqual(['billing', 'billing-admin'])
  expect(received?.claims?.sub).toBe('user-42')
  expect(received?.claims?.tenant).toBe('t-1')
}

/** Checks that `server` received one valid token for `audience` with the default claims. */
function expectDefaultToken(server: TestServer, index: number, audience: string): void {
  const received = server.requests[index]
  expect(received?.authorizations).toHaveLength(1)
  expect(received?.rejection).toBeUndefined()
  expect(received?.claims?.aud).toBe(audience)
  expect(received?.claims?.sub).toBe(ISSUER)
  expect(received?.claims).not.toHaveProperty('tenant')
}

describe('per-request settings on redirects', () => {
  it('setting stays on the first origin', async () => {
    const { dispatcher } = compose({ signCrossOriginRedirects: true })

    const result = await follow(dispatcher, `${first.origin}/to-mapped`, { asap: setting })

    expect(result).toEqual({ status: 200, body: 'landed with ledger' })
    expectRequestSetting(first, 0)
    expectDefaultToken(mapped, 0, 'ledger')
  })

  it('setting not sent to another origin by default', async () => {
    const { dispatcher } = compose()

    const result = await follow(dispatcher, `${first.origin}/to-mapped`, { asap: setting })

    expect(result).toEqual({ status: 200, body: 'landed with no token' })
    expectRequestSetting(first, 0)
    expect(mapped.requests[0]!.authorizations).toEqual([])
  })

  it('unmapped hop does not fail the request', async () => {
    const { dispatcher } = compose()

    const result = await follow(dispatcher, `${first.origin}/to-unmapped`, { asap: setting })

    expect(result.status).toBe(200)
    expectRequestSetting(first, 0)
    expect(unmapped.requests).toHaveLength(1)
    expect(unmapped.requests[0]!.authorizations).toEqual([])
  })

  it('same-origin hop keeps the setting', async () => {
    const { dispatcher } = compose()

    const result = await follow(dispatcher, `${first.origin}/to-same`, { asap: setting })

    expect(result.status).toBe(200)
    expect(first.requests).toHaveLength(2)
    expectRequestSetting(first, 0)
    expectRequestSetting(first, 1)
  })

  it('setting applies again back on the first origin', async () => {
    const { dispatcher } = compose({ signCrossOriginRedirects: true })

    const result = await follow(dispatcher, `${mapped.origin}/back`, {
      asap: { subject: 'user-42', claims: { tenant: 't-1' } },
    })

    expect(result).toEqual({ status: 200, body: 'landed with billing' })
    expect(mapped.requests[0]!.claims).toMatchObject({
      aud: 'ledger',
      sub: 'user-42',
      tenant: 't-1',
    })
    expectDefaultToken(first, 0, 'billing')
  })

  it('hops found through responseError()', async () => {
    const { dispatcher } = compose({ signCrossOriginRedirects: true }, interceptors.responseError())

    const result = await follow(dispatcher, `${first.origin}/to-mapped`, { asap: setting })

    expect(result).toEqual({ status: 200, body: 'landed with ledger' })
    expectRequestSetting(first, 0)
    expectDefaultToken(mapped, 0, 'ledger')
  })

  it('asap: false sends no token on any hop', async () => {
    const { dispatcher, provider } = compose({ signCrossOriginRedirects: true })

    const result = await follow(dispatcher, `${first.origin}/to-mapped`, { asap: false })

    expect(result.status).toBe(200)
    expect(first.requests[0]!.authorizations).toEqual([])
    expect(mapped.requests[0]!.authorizations).toEqual([])
    expect(provider.stats().signed).toBe(0)
  })

  it('independent requests keep their settings', async () => {
    const { dispatcher } = compose()

    const [toFirst, toMapped] = await Promise.all([
      follow(dispatcher, `${first.origin}/landing`, { asap: setting }),
      follow(dispatcher, `${mapped.origin}/landing`, {
        asap: { subject: 'user-7', claims: { tenant: 't-2' } },
      }),
    ])

    expect(toFirst.status).toBe(200)
    expect(toMapped.status).toBe(200)
    expectRequestSetting(first, 0)
    expect(mapped.requests[0]!.claims).toMatchObject({
      aud: 'ledger',
      sub: 'user-7',
      tenant: 't-2',
    })
  })
})

describe('claims.aud in the per-request setting', () => {
  it('request rejected and nothing sent', async () => {
    const { dispatcher, provider } = compose({ signCrossOriginRedirects: true })

    const error = await follow(dispatcher, `${first.origin}/to-mapped`, {
      asap: { claims: { aud: 'ledger' } },
    }).catch((caught: unknown) => caught)

    expect(error).toMatchObject({ code: 'ERR_ASAP_OPTION_INVALID' })
    expect(first.requests).toHaveLength(0)
    expect(mapped.requests).toHaveLength(0)
    expect(provider.stats().signed).toBe(0)
  })
})
