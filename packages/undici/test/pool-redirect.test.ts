import { asap } from '@asap-auth/undici'
import { Client, type Dispatcher, interceptors, Pool, request, fetch as undiciFetch } from 'undici'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { newProvider, startVerifyingServer } from './helpers/fixtures.js'
import type { Responder, TestServer } from './helpers/server.js'

/**
 * The origin of the Client or Pool, mapped to audience `reports`. `/to-other` redirects to the
 * other server and `/to-self` to its own `/landing`.
 */
let home: TestServer
/** Another mapped origin, audience `payroll`, which a Client or Pool for `home` never reaches. */
let other: TestServer
const closers: (() => Promise<void>)[] = []

const redirecting: Responder = (received, response, self) => {
  if (received.path === '/to-other') {
    response.writeHead(307, { location: `${other.origin}/steal` }).end('moved')
    return
  }
  if (received.path === '/to-self') {
    response.writeHead(302, { location: `${self.origin}/landing` }).end('moved')
    return
  }
  response.writeHead(200).end(`landed with ${received.authorizations.length} token`)
}

beforeAll(async () => {
  home = await startVerifyingServer('reports', redirecting)
  other = await startVerifyingServer('payroll')
})

afterEach(async () => {
  for (const close of closers.splice(0)) {
    await close()
  }
  home.requests.length = 0
  other.requests.length = 0
})

afterAll(async () => {
  await Promise.all([home.close(), other.close()])
})

const kinds = [
  ['Pool', (origin: string): Dispatcher => new Pool(origin)],
  ['Client', (origin: string): Dispatcher => new Client(origin)],
] as const

/**
 * Composes `asap()` inside `redirect()` on a new Client or Pool for `home`. Both servers are
 * mapped unless `homeMapped` is false.
 */
function compose(create: (origin: string) => Dispatcher, origin?: string, homeMapped = true) {
  const provider = newProvider()
  const base = create(home.origin)
  closers.push(() => base.close())
  const audience: Record<string, string> = { [other.origin]: 'payroll' }
  if (homeMapped) {
    audience[home.origin] = 'reports'
  }
  const auth = asap({ provider, audience, ...(origin === undefined ? {} : { origin }) })
  const dispatcher = base.compose(auth, interceptors.redirect({ maxRedirections: 2 }))
  return { provider, dispatcher }
}

async function follow(dispatcher: Dispatcher, url: string, options: object = {}) {
  const response = await request(url, { dispatcher, ...options })
  return { status: response.statusCode, body: await response.body.text() }
}

/** Returns the `aud` of each request `server` received, or `none` for a request without a token. */
function audiences(server: TestServer): unknown[] {
  return server.requests.map((received) =>
    received.authorizations.length === 0 ? 'none' : (received.claims?.aud ?? 'invalid'),
  )
}

for (const [name, create] of kinds) {
  describe(`${name} without the origin option`, () => {
    it('cross-origin hop gets no token', async () => {
      const { dispatcher, provider } = compose(create)

      const result = await follow(dispatcher, `${home.origin}/to-other`)

      // The hop names the other origin, but the pool sends it to its own.
      expect(result).toEqual({ status: 200, body: 'landed with 0 token' })
      expect(home.requests.map((received) => received.path)).toEqual(['/to-other', '/steal'])
      expect(audiences(home)).toEqual(['reports', 'none'])
      expect(other.requests).toHaveLength(0)
      expect(provider.stats().signed).toBe(1)
    })

    it('hop from an unmapped origin gets no token', async () => {
      const { dispatcher, provider } = compose(create, undefined, false)

      const result = await follow(dispatcher, `${home.origin}/to-other`)

      expect(result).toEqual({ status: 200, body: 'landed with 0 token' })
      expect(audiences(home)).toEqual(['none', 'none'])
      expect(other.requests).toHaveLength(0)
      expect(provider.stats().signed).toBe(0)
    })

    it('same-origin hop keeps the token', async () => {
      const { dispatcher } = compose(create)

      const result = await follow(dispatcher, `${home.origin}/to-self`)

      expect(result).toEqual({ status: 200, body: 'landed with 1 token' })
      expect(audiences(home)).toEqual(['reports', 'reports'])
    })

    it('per-request setting not sent on the hop', async () => {
      const { dispatcher } = compose(create)

      const result = await follow(dispatcher, `${home.origin}/to-other`, {
        asap: { subject: 'user-42' },
      })

      expect(result.status).toBe(200)
      expect(home.requests[0]!.claims).toMatchObject({ aud: 'reports', sub: 'user-42' })
      expect(home.requests[1]!.authorizations).toEqual([])
    })
  })

  describe(`${name} with the origin option`, () => {
    it('cross-origin hop gets no token', async () => {
      const { dispatcher, provider } = compose(create, home.origin)

      const result = await follow(dispatcher, `${home.origin}/to-other`)

      expect(result).toEqual({ status: 200, body: 'landed with 0 token' })
      expect(audiences(home)).toEqual(['reports', 'none'])
      expect(other.requests).toHaveLength(0)
      expect(provider.stats().signed).toBe(1)
    })

    it('hop of a request with asap.audience succeeds', async () => {
      const { dispatcher } = compose(create, home.origin)

      const result = await follow(dispatcher, `${home.origin}/to-other`, {
        asap: { audience: ['reports', 'reports-admin'] },
      })

      expect(result).toEqual({ status: 200, body: 'landed with 0 token' })
      expect(audiences(home)).toEqual([['reports', 'reports-admin'], 'none'])
    })

    it('same-origin hop keeps the token', async () => {
      const { dispatcher } = compose(create, home.origin)

      const result = await dispatcher.request({ path: '/to-self', method: 'GET' })
      await result.body.dump()

      expect(result.statusCode).toBe(200)
      expect(audiences(home)).toEqual(['reports', 'reports'])
    })

    it('request naming another origin gets no token', async () => {
      const { dispatcher, provider } = compose(create, home.origin)

      const result = await follow(dispatcher, `${other.origin}/direct`)

      expect(result.status).toBe(200)
      expect(home.requests.map((received) => received.path)).toEqual(['/direct'])
      expect(audiences(home)).toEqual(['none'])
      expect(provider.stats().signed).toBe(0)
    })

    it("fetch's redirect hop gets no token", async () => {
      const provider = newProvider()
      const base = create(home.origin)
      closers.push(() => base.close())
      const dispatcher = base.compose(
        asap({
          provider,
          audience: { [home.origin]: 'reports', [other.origin]: 'payroll' },
          origin: home.origin,
        }),
      )

      const response = await undiciFetch(`${home.origin}/to-other`, { dispatcher })
      await response.arrayBuffer()

      expect(response.status).toBe(200)
      expect(audiences(home)).toEqual(['reports', 'none'])
      expect(other.requests).toHaveLength(0)
    })
  })
}
