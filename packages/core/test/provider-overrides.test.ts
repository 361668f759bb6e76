import { generateKeyPairSync } from 'node:crypto'
import { createTokenProvider } from '@asap-auth/core'
import fc from 'fast-check'
import { decodeJwt } from 'jose'
import { describe, expect, it, vi } from 'vitest'

const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const start = Date.UTC(2026, 11, 4, 12, 0, 0)

function setUp() {
  let now = start
  const clock = { now: () => now }
  const provider = createTokenProvider({
    issuer: 'billing',
    keyId: 'billing/key-1',
    privateKey,
    algorithm: 'ES256',
    clock,
  })
  return {
    provider,
    advance(seconds: number) {
      now += seconds * 1000
    },
  }
}

/** Waits until the background refresh started by the last call has finished. */
async function refreshDone(provider: ReturnType<typeof setUp>['provider']): Promise<void> {
  await vi.waitFor(() => expect(provider.stats().refreshed).toBe(1))
}

describe('caller changes after a call', () => {
  it('audience array changed after the call', async () => {
    const { provider, advance } = setUp()
    const audience = ['invoices', 'ledger']

    const first = await provider.getToken(audience)
    audience[1] = 'payroll'
    // Past the refresh-ahead point (default 3600 s life, 300 s ahead, 60 s margin).
    advance(3600 - 300)
    expect(await provider.getToken(['invoices', 'ledger'])).toBe(first)
    await refreshDone(provider)

    const refreshed = await provider.getToken(['ledger', 'invoices'])
    expect(provider.stats()).toMatchObject({ signed: 2, refreshed: 1 })
    expect(refreshed).not.toBe(first)
    expect(decodeJwt(refreshed).aud).toEqual(['invoices', 'ledger'])
  })

  it('claims changed after the call', async () => {
    const { provider, advance } = setUp()
    const claims = { tenant: 'acme', scope: { region: 'eu' } }

    await provider.getToken('invoices', { claims })
    claims.tenant = 'globex'
    claims.scope.region = 'us'
    advance(3600 - 300)
    await provider.getToken('invoices', { claims: { tenant: 'acme', scope: { region: 'eu' } } })
    await refreshDone(provider)

    const refreshed = await provider.getToken('invoices', {
      claims: { scope: { region: 'eu' }, tenant: 'acme' },
    })
    expect(provider.stats()).toMatchObject({ signed: 2, refreshed: 1 })
    expect(decodeJwt(refreshed)).toMatchObject({ tenant: 'acme', scope: { region: 'eu' } })
  })
})

describe('claims that are not plain JSON', () => {
  it('two Dates, two tokens', async () => {
    const { provider } = setUp()
    const first = new Date(Date.UTC(2026, 0, 1))
    const second = new Date(Date.UTC(2027, 0, 1))

    const a = await provider.getToken('invoices', { claims: { since: first } })
    const b = await provider.getToken('invoices', { claims: { since: second } })

    expect(provider.stats().signed).toBe(2)
    expect(decodeJwt(a).since).toBe('2026-01-01T00:00:00.000Z')
    expect(decodeJwt(b).since).toBe('2027-01-01T00:00:00.000Z')
  })

  it('getter read once per call', async () => {
    const { provider } = setUp()
    let reads = 0
    const claims = {
      get counter() {
        reads++
        return reads
      },
    }

    const a = await provider.getToken('invoices', { claims })
    const b = await provider.getToken('invoices', { claims })
    const again = await provider.getToken('invoices', { claims: { counter: 1 } })

    expect(reads).toBe(2)
    expect(decodeJwt(a).counter).toBe(1)
    expect(decodeJwt(b).counter).toBe(2)
    expect(again).toBe(a)
    expect(provider.stats().signed).toBe(2)
  })

  it('toJSON value shares the token', async () => {
    const { provider } = setUp()
    const written = { toJSON: () => 'eu-west' }

    const a = await provider.getToken('invoices', { claims: { region: written } })
    const b = await provider.getToken('invoices', { claims: { region: 'eu-west' } })

    expect(b).toBe(a)
    expect(provider.stats().signed).toBe(1)
    expect(decodeJwt(a).region).toBe('eu-west')
  })

  it('class instance claims rejected', async () => {
    const { provider } = setUp()
    class Claims {
      tenant = 'acme'
    }

    const getting = provider.getToken('invoices', {
      claims: new Claims() as unknown as Record<string, unknown>,
    })

    await expect(getting).rejects.toMatchObject({ code: 'ERR_ASAP_CLAIMS_INVALID' })
    expect(provider.stats()).toMatchObject({ signed: 0, failed: 1, cached: 0 })
  })
})

describe('cache key property', () => {
  const claimName = fc
    .string({ minLength: 1, maxLength: 8 })
    .filter(
      (name) => !['iss', 'sub', 'aud', 'iat', 'nbf', 'exp', 'jti', '__proto__'].includes(name),
    )
  const claimSet = fc.dictionary(claimName, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 })

  it('same JSON shares one token', async () => {
    await fc.assert(
      fc.asyncProperty(claimSet, claimSet, async (left, right) => {
        const { provider } = setUp()
        const reordered = Object.fromEntries(Object.entries(right).reverse())

        const a = await provider.getToken('invoices', { claims: left })
        const b = await provider.getToken('invoices', { claims: reordered })

        const leftJson = JSON.stringify(decodeJwt(a))
        const same = canonical(left) === canonical(right)
        expect(a === b).toBe(same)
        expect(provider.stats().signed).toBe(same ? 1 : 2)
        expect(JSON.parse(leftJson)).toMatchObject(JSON.parse(JSON.stringify(left)))
      }),
      { numRuns: 60 },
    )
  })
})

/** JSON with object keys sorted, written independently of the provider's own code. */
function canonical(value: unknown): string {
  const sorted = (item: unknown): unknown => {
    if (Array.isArray(item)) {
      return item.map(sorted)
    }
    if (typeof item === 'object' && item !== null) {
      return Object.fromEntries(
        Object.keys(item)
          .sort()
          .map((name) => [name, sorted((item as Record<string, unknown>)[name])]),
      )
    }
    return item
  }
  return JSON.stringify(sorted(JSON.parse(JSON.stringify(value))))
}

describe('overrides the signer would reject', () => {
  it.each([
    ['null', null],
    ['a string', 'oops'],
  ])('%s rejects like cache: false', async (_name, overrides) => {
    const { provider } = setUp()
    await provider.getToken('invoices')

    const getting = provider.getToken('invoices', overrides as never)

    await expect(getting).rejects.toMatchObject({
      code: 'ERR_ASAP_OPTION_INVALID',
      field: 'overrides',
    })
    expect(provider.stats()).toMatchObject({ signed: 1, failed: 1 })
  })

  it('JSON string claims are cached like objects', async () => {
    const { provider } = setUp()

    const a = await provider.getToken('invoices', { claims: '{"tenant":"acme"}' as never })
    const b = await provider.getToken('invoices', { claims: { tenant: 'acme' } })

    expect(b).toBe(a)
    expect(provider.stats().signed).toBe(1)
    expect(decodeJwt(a).tenant).toBe('acme')
  })
})
