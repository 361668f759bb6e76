import { execFile } from 'node:child_process'
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { inspect, promisify } from 'node:util'
import {
  type AsapClaims,
  AsapInvalidClaimsError,
  AsapInvalidOptionError,
  AsapSigningError,
  type Audience,
  createSigner,
  createTokenProvider,
  DEFAULT_REFRESH_AHEAD,
  DEFAULT_REFRESH_MARGIN,
  type IssuedToken,
  type Signer,
  type SignerOptions,
  type SignOverrides,
} from '@asap-auth/core'
import fc from 'fast-check'
import { decodeJwt, jwtVerify } from 'jose'
import { describe, expect, it, vi } from 'vitest'

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })

/** A clock the test moves by hand. It starts far from 0, as lru-cache and jose expect. */
function manualClock(start = Date.UTC(2026, 11, 4, 12, 0, 0)) {
  let now = start
  return {
    now: () => now,
    advance(ms: number) {
      now += ms
    },
    set(value: number) {
      now = value
    },
  }
}

function signerOptions(
  clock: { now(): number },
  extra: Partial<SignerOptions> = {},
): SignerOptions {
  return {
    issuer: 'billing',
    keyId: 'billing/key-1',
    privateKey: privateKey as KeyObject,
    algorithm: 'ES256',
    clock,
    ...extra,
  }
}

/** A real signer that can be switched to fail, to exercise the provider's failure paths. */
function switchableSigner(inner: Signer) {
  const state = { broken: false, calls: 0 }
  const fail = () => Promise.reject(new AsapSigningError('signing switched off by the test'))
  const signer: Signer = {
    issuer: inner.issuer,
    keyId: inner.keyId,
    algorithm: inner.algorithm,
    expiresIn: inner.expiresIn,
    clock: inner.clock,
    audience: inner.audience,
    issue(audience?: Audience, overrides?: SignOverrides): Promise<IssuedToken> {
      state.calls++
      return state.broken ? fail() : inner.issue(audience, overrides)
    },
    sign(audience?: Audience, overrides?: SignOverrides): Promise<string> {
      return signer.issue(audience, overrides).then((issued) => issued.token)
    },
  }
  return { signer, state }
}

const expSeconds = (token: string) => decodeJwt(token).exp as number

describe('createTokenProvider over two simulated hours', () => {
  it('signs exactly three tokens at one request a second', async () => {
    const clock = manualClock()
    const { signer, state } = switchableSigner(createSigner(signerOptions(clock)))
    const provider = createTokenProvider(signer)
    const start = clock.now()
    const signingTimes: number[] = []
    let previous: string | undefined

    for (let second = 0; second < 7200; second++) {
      clock.set(start + second * 1000)
      const token = await provider.getToken('invoices')
      const remaining = expSeconds(token) * 1000 - clock.now()
      expect(remaining).toBeGreaterThanOrEqual(DEFAULT_REFRESH_MARGIN * 1000)
      if (token !== previous) {
        signingTimes.push(second)
        previous = token
      }
      // Let a background signing finish before the next simulated second, as it would in reality.
      await vi.waitFor(() => expect(provider.stats().signed).toBe(state.calls))
    }

    // Each token lives 3595 s from issue (3600 s, less the 5 s backdate). The next one is signed
    // in the background once 60 s + 300 s of life are left, so at 3235 s and again at 6470 s.
    const lead = DEFAULT_REFRESH_MARGIN + DEFAULT_REFRESH_AHEAD
    expect(provider.stats()).toEqual({
      signed: 3,
      reused: 7199,
      refreshed: 2,
      failed: 0,
      joined: 0,
      cached: 1,
    })
    expect(signingTimes).toEqual([0, 3595 - lead + 1, 2 * (3595 - lead) + 1])
  })
})

describe('createTokenProvider caching', () => {
  it('shares one signing among 1,000 concurrent callers', async () => {
    const clock = manualClock()
    const provider = createTokenProvider(signerOptions(clock))

    const tokens = await Promise.all(
      Array.from({ length: 1000 }, () => provider.getToken('invoices')),
    )

    expect(new Set(tokens).size).toBe(1)
    expect(provider.stats()).toMatchObject({ signed: 1, joined: 999, reused: 0 })
    const { payload } = await jwtVerify(tokens[0]!, publicKey, {
      currentDate: new Date(clock.now()),
    })
    expect(payload.aud).toBe('invoices')
  })

  it('returns Bearer headers for the cached token', async () => {
    const provider = createTokenProvider(signerOptions(manualClock()))

    const token = await provider.getToken('invoices')
    const header = await provider.getAuthorizationHeader('invoices')

    expect(header).toBe(`Bearer ${token}`)
    expect(provider.peekAuthorizationHeader('invoices')).toBe(header)
    expect(provider.stats()).toMatchObject({ signed: 1, reused: 2 })
  })

  it('peeks nothing on a cold cache and signs nothing', () => {
    const provider = createTokenProvider(signerOptions(manualClock()))

    expect(provider.peekAuthorizationHeader('invoices')).toBeUndefined()
    expect(provider.stats()).toMatchObject({ signed: 0, reused: 0, cached: 0 })
  })

  it('refreshes ahead in the background', async () => {
    const clock = manualClock()
    const provider = createTokenProvider(signerOptions(clock))
    const first = await provider.getToken('invoices')
    const exp = expSeconds(first) * 1000

    clock.set(exp - (DEFAULT_REFRESH_MARGIN + DEFAULT_REFRESH_AHEAD) * 1000 + 1000)
    // The synchronous lookup shows the state before the background signing can finish.
    const during = provider.peekAuthorizationHeader('invoices')
    expect(during).toBe(`Bearer ${first}`)
    expect(provider.stats()).toMatchObject({ signed: 1, reused: 1 })

    await vi.waitFor(() => expect(provider.stats().refreshed).toBe(1))
    const after = await provider.getToken('invoices')
    expect(after).not.toBe(first)
    expect(expSeconds(after)).toBeGreaterThan(expSeconds(first))
    expect(provider.stats()).toMatchObject({ signed: 2, refreshed: 1, reused: 2, failed: 0 })
  })

  it('never hands out a token inside the margin', async () => {
    const clock = manualClock()
    const provider = createTokenProvider(signerOptions(clock))
    const first = await provider.getToken('invoices')

    clock.set(expSeconds(first) * 1000 - DEFAULT_REFRESH_MARGIN * 1000)
    expect(provider.peekAuthorizationHeader('invoices')).toBeUndefined()
    const second = await provider.getToken('invoices')

    expect(second).not.toBe(first)
    expect(expSeconds(second) * 1000 - clock.now()).toBeGreaterThan(DEFAULT_REFRESH_MARGIN * 1000)
    expect(provider.stats()).toMatchObject({ signed: 2, refreshed: 0 })
  })

  it('scales the margin down for short lifetimes', async () => {
    const clock = manualClock()
    const provider = createTokenProvider(signerOptions(clock, { expiresIn: 60, backdate: 0 }))
    const first = await provider.getToken('invoices')

    // 60 s of life: margin and refresh window are each a quarter, so the token is reused
    // without a refresh for its first 30 s.
    clock.advance(29_000)
    expect(await provider.getToken('invoices')).toBe(first)
    expect(provider.stats().refreshed).toBe(0)

    clock.advance(1000)
    expect(await provider.getToken('invoices')).toBe(first)
    await vi.waitFor(() => expect(provider.stats().refreshed).toBe(1))

    clock.advance(15_000)
    expect(await provider.getToken('invoices')).not.toBe(first)
  })

  it('keys tokens by audience set, subject and claims', async () => {
    const provider = createTokenProvider(signerOptions(manualClock()))

    const ab = await provider.getToken(['a', 'b'])
    const ba = await provider.getToken(['b', 'a'])
    const abDuplicate = await provider.getToken(['a', 'b', 'a'])
    const single = await provider.getToken(['a'])
    const plain = await provider.getToken('a')
    const subject = await provider.getToken('a', { subject: 'alice' })
    const claims = await provider.getToken('a', { claims: { tenant: 't1', region: 'eu' } })
    const claimsReordered = await provider.getToken('a', {
      claims: { region: 'eu', tenant: 't1' },
    })
    const otherClaims = await provider.getToken('a', { claims: { tenant: 't2', region: 'eu' } })
    const emptyOverrides = await provider.getToken('a', { claims: {} })

    expect(ba).toBe(ab)
    expect(abDuplicate).toBe(ab)
    expect(single).toBe(plain)
    expect(emptyOverrides).toBe(plain)
    expect(claimsReordered).toBe(claims)
    expect(new Set([ab, plain, subject, claims, otherClaims]).size).toBe(5)
    expect(decodeJwt(subject).sub).toBe('alice')
    expect(decodeJwt(otherClaims)).toMatchObject({ tenant: 't2', region: 'eu', aud: 'a' })
    expect(provider.stats().signed).toBe(5)
  })

  it('gives equal claim sets one token in any key order', async () => {
    const provider = createTokenProvider(signerOptions(manualClock()))
    const claimsArbitrary = fc.dictionary(
      fc
        .string({ minLength: 1, maxLength: 8 })
        .filter((name) => !/^(iss|sub|aud|iat|nbf|exp|jti|__proto__)$/.test(name)),
      fc.oneof(fc.integer(), fc.string(), fc.boolean(), fc.array(fc.integer(), { maxLength: 3 })),
      { minKeys: 1, maxKeys: 6 },
    )

    await fc.assert(
      fc.asyncProperty(claimsArbitrary, async (claims) => {
        const reversed = Object.fromEntries(Object.entries(claims).reverse())
        const first = await provider.getToken('a', { claims })
        const second = await provider.getToken('a', { claims: reversed })
        expect(second).toBe(first)
      }),
      { numRuns: 50 },
    )
  })

  it('keeps at most max tokens', async () => {
    const provider = createTokenProvider(signerOptions(manualClock()), { max: 100 })

    for (let batch = 0; batch < 20; batch++) {
      await Promise.all(
        Array.from({ length: 500 }, (_, index) => provider.getToken(`aud-${batch * 500 + index}`)),
      )
      expect(provider.stats().cached).toBeLessThanOrEqual(100)
    }

    expect(provider.stats()).toMatchObject({ signed: 10_000, cached: 100 })
  })

  it('signs every call with cache false', async () => {
    const provider = createTokenProvider(signerOptions(manualClock()), { cache: false })

    const tokens = await Promise.all(Array.from({ length: 20 }, () => provider.getToken('a')))

    expect(new Set(tokens.map((token) => decodeJwt(token).jti)).size).toBe(20)
    expect(provider.peekAuthorizationHeader('a')).toBeUndefined()
    expect(provider.stats()).toMatchObject({ signed: 20, reused: 0, cached: 0 })
  })
})

describe('createTokenProvider invalidate', () => {
  it('drops one audience', async () => {
    const provider = createTokenProvider(signerOptions(manualClock()))
    const a = await provider.getToken('a')
    const aWithSubject = await provider.getToken('a', { subject: 'alice' })
    const b = await provider.getToken('b')

    provider.invalidate('a')

    expect(provider.stats().cached).toBe(1)
    expect(await provider.getToken('b')).toBe(b)
    expect(await provider.getToken('a')).not.toBe(a)
    expect(await provider.getToken('a', { subject: 'alice' })).not.toBe(aWithSubject)
  })

  it('drops an audience list in any order', async () => {
    const provider = createTokenProvider(signerOptions(manualClock()))
    await provider.getToken(['a', 'b'])

    provider.invalidate(['b', 'a'])

    expect(provider.stats().cached).toBe(0)
  })

  it('drops only the named token', async () => {
    const provider = createTokenProvider(signerOptions(manualClock()))
    const token = await provider.getToken('a')

    provider.invalidate('a', { token: 'some-other-token' })
    expect(await provider.getToken('a')).toBe(token)

    provider.invalidate('a', { token })
    expect(await provider.getToken('a')).not.toBe(token)
  })

  it('drops everything', async () => {
    const provider = createTokenProvider(signerOptions(manualClock()))
    await provider.getToken('a')
    await provider.getToken('b')

    provider.invalidate()

    expect(provider.stats().cached).toBe(0)
  })
})

describe('createTokenProvider failures', () => {
  it('rejects every waiting caller and caches nothing', async () => {
    const clock = manualClock()
    const provider = createTokenProvider(signerOptions(clock))
    // A real signer error: a lifetime over one hour breaks the ASAP rules.
    const tooLong = { claims: { exp: Math.floor(clock.now() / 1000) + 7200 } }

    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => provider.getToken('a', tooLong)),
    )

    for (const result of results) {
      expect(result.status).toBe('rejected')
      const reason = (result as PromiseRejectedResult).reason
      expect(reason).toBeInstanceOf(AsapInvalidClaimsError)
      expect(reason.code).toBe('ERR_ASAP_CLAIMS_INVALID')
    }
    expect(provider.stats()).toMatchObject({ signed: 0, failed: 1, joined: 9, cached: 0 })

    await expect(provider.getToken('a', tooLong)).rejects.toBeInstanceOf(AsapInvalidClaimsError)
    expect(provider.stats().failed).toBe(2)
  })

  it('tries again after a failed signing', async () => {
    const clock = manualClock()
    const { signer, state } = switchableSigner(createSigner(signerOptions(clock)))
    const provider = createTokenProvider(signer)

    state.broken = true
    await expect(provider.getToken('a')).rejects.toMatchObject({ code: 'ERR_ASAP_SIGNING_FAILED' })
    state.broken = false
    const token = await provider.getToken('a')

    expect(decodeJwt(token).aud).toBe('a')
    expect(provider.stats()).toMatchObject({ signed: 1, failed: 1 })
  })

  it('keeps the valid token when a background refresh fails', async () => {
    const clock = manualClock()
    const { signer, state } = switchableSigner(createSigner(signerOptions(clock)))
    const provider = createTokenProvider(signer)
    const first = await provider.getToken('a')
    const staleAt = expSeconds(first) * 1000 - DEFAULT_REFRESH_MARGIN * 1000

    state.broken = true
    clock.set(staleAt - 200_000)
    expect(await provider.getToken('a')).toBe(first)
    await vi.waitFor(() => expect(provider.stats().failed).toBe(1))

    // The next attempt waits a second after a failure.
    clock.advance(500)
    expect(await provider.getToken('a')).toBe(first)
    expect(state.calls).toBe(2)

    clock.advance(600)
    expect(await provider.getToken('a')).toBe(first)
    await vi.waitFor(() => expect(provider.stats().failed).toBe(2))
    expect(state.calls).toBe(3)

    state.broken = false
    clock.advance(1000)
    expect(await provider.getToken('a')).toBe(first)
    await vi.waitFor(() => expect(provider.stats().refreshed).toBe(1))
    expect(await provider.getToken('a')).not.toBe(first)
  })

  it('never returns an expired token', async () => {
    const clock = manualClock()
    const { signer, state } = switchableSigner(createSigner(signerOptions(clock)))
    const provider = createTokenProvider(signer)
    const first = await provider.getToken('a')

    state.broken = true
    clock.set(expSeconds(first) * 1000 + 1000)

    expect(provider.peekAuthorizationHeader('a')).toBeUndefined()
    await expect(provider.getToken('a')).rejects.toBeInstanceOf(AsapSigningError)
    await expect(provider.getAuthorizationHeader('a')).rejects.toBeInstanceOf(AsapSigningError)
  })

  it('rejects an empty audience with the signer error', async () => {
    const provider = createTokenProvider(signerOptions(manualClock()))

    await expect(provider.getToken('')).rejects.toMatchObject({ code: 'ERR_ASAP_AUDIENCE_INVALID' })
    await expect(provider.getToken([])).rejects.toMatchObject({ code: 'ERR_ASAP_AUDIENCE_INVALID' })
    await expect(provider.getToken()).rejects.toMatchObject({ code: 'ERR_ASAP_AUDIENCE_INVALID' })
  })
})

describe('createTokenProvider options', () => {
  it('uses the signer default audience', async () => {
    const provider = createTokenProvider(signerOptions(manualClock(), { audience: 'invoices' }))

    const token = await provider.getToken()

    expect(decodeJwt(token).aud).toBe('invoices')
    expect(await provider.getToken('invoices')).toBe(token)
  })

  it.each([
    ['max', { max: 0 }],
    ['max', { max: 1.5 }],
    ['refreshMargin', { refreshMargin: -1 }],
    ['refreshAhead', { refreshAhead: Number.NaN }],
    ['cache', { cache: 'yes' }],
  ])('rejects an invalid %s', (field, options) => {
    const create = () => createTokenProvider(signerOptions(manualClock()), options as never)

    expect(create).toThrow(AsapInvalidOptionError)
    expect(create).toThrow(expect.objectContaining({ field, code: 'ERR_ASAP_OPTION_INVALID' }))
  })

  it('rejects a clock that is not the signer clock', () => {
    const signer = createSigner(signerOptions(manualClock()))

    expect(() => createTokenProvider(signer, { clock: manualClock() })).toThrow(
      expect.objectContaining({ code: 'ERR_ASAP_OPTION_INVALID', field: 'clock' }),
    )
  })

  it('shows no token in inspect or JSON output', async () => {
    const provider = createTokenProvider(signerOptions(manualClock()))
    const token = await provider.getToken('a')

    const shown = `${inspect(provider, { depth: 10, showHidden: true })} ${JSON.stringify(provider)}`

    expect(shown).not.toContain(token)
    expect(shown).not.toContain(token.split('.')[2]!)
    expect(shown).toContain('billing/key-1')
  })
})

describe('createTokenProvider debug log', () => {
  it('logs kid, jti and audience but no token', async () => {
    const script = fileURLToPath(new URL('./fixtures/debug-log.ts', import.meta.url))
    const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url))

    const { stdout, stderr } = await promisify(execFile)(tsx, [script], {
      env: { ...process.env, NODE_DEBUG: 'asap' },
    })

    const token = stdout.trim()
    const claims = decodeJwt(token) as AsapClaims
    expect(stderr).toMatch(/^ASAP \d+: /)
    expect(stderr).toMatch(/signed token for audience "invoices": kid billing\/key-1, jti /)
    expect(stderr).toContain(claims.jti)
    expect(stderr).toMatch(/reused token for audience "invoices"/)
    expect(stderr).not.toContain(token.split('.')[2]!)
    expect(stderr).not.toContain(token.split('.')[1]!)
  })
})
