import { isValidKeyId } from '@asap-auth/core'
import {
  AsapVerificationError,
  ASAP_VERIFICATION_ERROR_CODES as codes,
  createVerifier,
} from '@asap-auth/verifier'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseAuthorizationHeader, readBareToken } from '../src/authorization.js'
import { cacheLifetime, MAX_KEY_CACHE_TTL } from '../src/cache-control.js'
import { keyUrl, readRepositoryUrl } from '../src/repository-url.js'
import { respondWithStatus, startServer, type TestServer } from './helpers/servers.js'
import { joinParts } from './helpers/tokens.js'

/** Characters that make key IDs interesting: path syntax, encodings, separators and non-ASCII. */
const keyIdCharacter = fc.constantFrom(
  ...'ab1_.+-/%2eEfF\\?#;: \t\n@~'.split(''),
  '\u0000',
  'ä',
  '\u2025',
  '\uff0e',
)
const keyIdArbitrary = fc.oneof(
  fc.string({ unit: keyIdCharacter, maxLength: 24 }),
  fc.string({ maxLength: 24 }),
)

describe('key URL property', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer(respondWithStatus(404))
  })
  afterAll(async () => {
    await server.close()
  })

  it('requests only <base><kid> for valid key IDs and nothing otherwise', async () => {
    const verifier = createVerifier({
      audience: 'invoices',
      keyRepository: `${server.origin}/keys/`,
      allowInsecureHttp: true,
      missingKeyCacheTtl: 0,
    })

    let validCount = 0
    let invalidCount = 0
    await fc.assert(
      fc.asyncProperty(keyIdArbitrary, async (kid) => {
        const before = server.paths.length
        const jwt = joinParts({ alg: 'RS256', kid }, { iss: 'billing' })
        const error = await verifier.verifyToken(jwt).catch((caught: unknown) => caught)

        expect(error).toBeInstanceOf(AsapVerificationError)
        const requested = server.paths.slice(before)
        if (isValidKeyId(kid)) {
          validCount++
          expect((error as AsapVerificationError).code).toBe(codes.PUBLIC_KEY_NOT_FOUND)
          expect(requested).toEqual([`/keys/${kid}`])
        } else {
          invalidCount++
          expect((error as AsapVerificationError).code).toBe(codes.KEY_ID_INVALID)
          expect(requested).toEqual([])
        }
      }),
      { numRuns: 300 },
    )
    // Both branches must have run for the property to mean anything.
    expect(validCount).toBeGreaterThan(10)
    expect(invalidCount).toBeGreaterThan(10)
  })

  it('keeps keyUrl under the base path', () => {
    const base = readRepositoryUrl('https://keys.example.com/a/b', false)
    fc.assert(
      fc.property(keyIdArbitrary, (kid) => {
        if (!isValidKeyId(kid)) {
          expect(() => keyUrl(base, kid)).toThrow()
          return
        }
        const url = keyUrl(base, kid)
        expect(url.origin).toBe('https://keys.example.com')
        expect(url.pathname).toBe(`/a/b/${kid}`)
        expect(url.search).toBe('')
      }),
      { numRuns: 1000 },
    )
  })
})

/** Runs `parse` and returns the AsapVerificationError it throws, or undefined. */
function errorFrom(parse: () => unknown): AsapVerificationError | undefined {
  try {
    parse()
  } catch (caught) {
    expect(caught).toBeInstanceOf(AsapVerificationError)
    return caught as AsapVerificationError
  }
  return undefined
}

describe('parseAuthorizationHeader property', () => {
  const tokenArbitrary = fc
    .string({ minLength: 1, maxLength: 64 })
    .filter((text) => !text.includes(' ') && text.toLowerCase() !== 'bearer')
  const bearerArbitrary = fc
    .tuple(fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean())
    .map((upper) =>
      [...'bearer'].map((letter, index) => (upper[index] ? letter.toUpperCase() : letter)).join(''),
    )

  it('returns the token after any case of Bearer and one space', () => {
    fc.assert(
      fc.property(bearerArbitrary, tokenArbitrary, (scheme, token) => {
        expect(parseAuthorizationHeader(`${scheme} ${token}`)).toBe(token)
      }),
    )
  })

  it('rejects a value without a scheme and does not quote it', () => {
    fc.assert(
      fc.property(tokenArbitrary, (token) => {
        const error = errorFrom(() => parseAuthorizationHeader(token))
        expect(error?.code).toBe(codes.AUTHORIZATION_SCHEME_UNSUPPORTED)
        expect(error?.message).not.toContain(JSON.stringify(token))
      }),
    )
  })

  it('rejects more than one space', () => {
    fc.assert(
      fc.property(tokenArbitrary, fc.integer({ min: 2, max: 5 }), (token, spaces) => {
        const error = errorFrom(() =>
          parseAuthorizationHeader(`Bearer${' '.repeat(spaces)}${token}`),
        )
        expect(error?.code).toBe(codes.TOKEN_MALFORMED)
      }),
    )
  })

  it('rejects a third part', () => {
    fc.assert(
      fc.property(bearerArbitrary, tokenArbitrary, tokenArbitrary, (scheme, token, extra) => {
        const error = errorFrom(() => parseAuthorizationHeader(`${scheme} ${token} ${extra}`))
        expect(error?.code).toBe(codes.TOKEN_MALFORMED)
      }),
    )
  })

  it('rejects other schemes as unsupported', () => {
    fc.assert(
      fc.property(
        fc
          .stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,10}$/)
          .filter((scheme) => scheme.toLowerCase() !== 'bearer'),
        tokenArbitrary,
        (scheme, token) => {
          const error = errorFrom(() => parseAuthorizationHeader(`${scheme} ${token}`))
          expect(error?.code).toBe(codes.AUTHORIZATION_SCHEME_UNSUPPORTED)
        },
      ),
    )
  })
})

describe('readBareToken property', () => {
  it('returns any non-empty value without whitespace', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\S+$/), (token) => {
        expect(readBareToken(token)).toBe(token)
      }),
    )
  })

  it('rejects any value with whitespace', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 20 }),
        fc.constantFrom(' ', '\t', '\n', '\r', '\u00a0'),
        fc.string({ maxLength: 20 }),
        (before, space, after) => {
          const error = errorFrom(() => readBareToken(`${before}${space}${after}`))
          expect(error?.code).toBe(codes.TOKEN_MALFORMED)
        },
      ),
    )
  })
})

describe('cacheLifetime', () => {
  it('reads max-age, no-store and no-cache', () => {
    expect(cacheLifetime(undefined)).toBeUndefined()
    expect(cacheLifetime('public')).toBeUndefined()
    expect(cacheLifetime('max-age=120')).toBe(120)
    expect(cacheLifetime('public, MAX-AGE=300, must-revalidate')).toBe(300)
    expect(cacheLifetime('max-age="60"')).toBe(60)
    expect(cacheLifetime('max-age = 60')).toBe(60)
    expect(cacheLifetime('max-age=60, max-age=30')).toBe(30)
    expect(cacheLifetime(['max-age=90', 'max-age=600'])).toBe(90)
    expect(cacheLifetime('max-age=0')).toBe(0)
    expect(cacheLifetime('max-age=120, no-store')).toBe(0)
    expect(cacheLifetime('no-cache')).toBe(0)
    expect(cacheLifetime('max-age=-5')).toBeUndefined()
    expect(cacheLifetime('max-age=1.5')).toBeUndefined()
    expect(cacheLifetime('s-maxage=100')).toBeUndefined()
    expect(cacheLifetime('max-age=99999999999999999999')).toBe(MAX_KEY_CACHE_TTL)
  })

  it('returns undefined or a whole number within the cap for any header', () => {
    fc.assert(
      fc.property(fc.string(), (header) => {
        const lifetime = cacheLifetime(header)
        if (lifetime !== undefined) {
          expect(Number.isInteger(lifetime)).toBe(true)
          expect(lifetime).toBeGreaterThanOrEqual(0)
          expect(lifetime).toBeLessThanOrEqual(MAX_KEY_CACHE_TTL)
        }
      }),
    )
  })

  it('returns max-age cut to the cap', () => {
    fc.assert(
      fc.property(fc.nat(), fc.constantFrom('', 'public, ', 'private,'), (seconds, prefix) => {
        expect(cacheLifetime(`${prefix}max-age=${seconds}`)).toBe(
          Math.min(seconds, MAX_KEY_CACHE_TTL),
        )
      }),
    )
  })
})
