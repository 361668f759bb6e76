import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  flattenHeaders,
  hasAuthorization,
  isAuthorizationName,
  needsFlattening,
  withAuthorization,
} from '../src/headers.js'

const TOKEN = 'Bearer token-value'

/** Header names: spellings of authorization and a few others, in random letter case. */
const headerName = fc
  .tuple(
    fc.constantFrom('authorization', 'x-trace', 'accept', 'authorisation', 'authorizations'),
    fc.array(fc.boolean(), { minLength: 14, maxLength: 14 }),
  )
  .map(([name, upper]) =>
    [...name].map((char, index) => (upper[index] ? char.toUpperCase() : char)).join(''),
  )

const headerValue = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }),
  fc.constant(undefined),
)

const pairs = fc.array(fc.tuple(headerName, headerValue), { maxLength: 8 })

function isAuthorization(name: unknown): boolean {
  return String(name).toLowerCase() === 'authorization'
}

function namesOf(headers: ReturnType<typeof withAuthorization>): unknown[] {
  if (Array.isArray(headers)) {
    return headers.filter((_, index) => index % 2 === 0)
  }
  return Object.keys(headers)
}

describe('isAuthorizationName', () => {
  it('matches any letter case, string or bytes', () => {
    fc.assert(
      fc.property(
        fc.oneof(headerName, fc.string({ maxLength: 14 }), fc.stringMatching(/^[A-Za-z]{13}$/)),
        (name) => {
          const expected = isAuthorization(name) && /^[\x20-\x7e]*$/.test(name)
          expect(isAuthorizationName(name)).toBe(expected)
          expect(isAuthorizationName(Buffer.from(name, 'latin1'))).toBe(
            expected && Buffer.from(name, 'latin1').toString('latin1') === name,
          )
        },
      ),
    )
  })

  it('rejects values that are not names', () => {
    for (const value of [undefined, null, 13, {}, ['authorization']]) {
      expect(isAuthorizationName(value)).toBe(false)
    }
  })
})

describe('hasAuthorization', () => {
  it('finds Authorization in objects and lists', () => {
    fc.assert(
      fc.property(pairs, (entries) => {
        const expected = entries.some(
          ([name, value]) => isAuthorization(name) && value !== undefined,
        )
        expect(hasAuthorization(entries.flat())).toBe(expected)
        const object = Object.fromEntries(entries)
        const objectExpected = Object.entries(object).some(
          ([name, value]) => isAuthorization(name) && value !== undefined,
        )
        expect(hasAuthorization(object)).toBe(objectExpected)
      }),
    )
  })

  it('finds nothing in absent headers', () => {
    expect(hasAuthorization(undefined)).toBe(false)
    expect(hasAuthorization(null)).toBe(false)
  })

  it('ignores inherited properties', () => {
    const headers = Object.create({ authorization: 'Bearer inherited' }) as Record<string, unknown>
    expect(hasAuthorization(headers)).toBe(false)
  })
})

describe('withAuthorization', () => {
  it('flat list gets one authorization', () => {
    fc.assert(
      fc.property(pairs, (entries) => {
        const list = entries.flat()
        const before = structuredClone(list)

        const result = withAuthorization(list, TOKEN)

        expect(list).toEqual(before)
        expect(result).not.toBe(list)
        expect(Array.isArray(result)).toBe(true)
        const others = entries.filter(([name]) => !isAuthorization(name)).flat()
        expect(result).toEqual([...others, 'authorization', TOKEN])
      }),
    )
  })

  it('object gets one authorization', () => {
    fc.assert(
      fc.property(pairs, (entries) => {
        const object = Object.fromEntries(entries)
        const before = { ...object }

        const result = withAuthorization(object, TOKEN) as Record<string, unknown>

        expect(object).toEqual(before)
        expect(result).not.toBe(object)
        expect(namesOf(result).filter(isAuthorization)).toEqual(['authorization'])
        expect(result.authorization).toBe(TOKEN)
        for (const [name, value] of Object.entries(object)) {
          if (!isAuthorization(name)) {
            expect(result[name]).toBe(value)
          }
        }
        expect(Object.keys(result)).toHaveLength(
          Object.keys(object).filter((name) => !isAuthorization(name)).length + 1,
        )
      }),
    )
  })

  it('creates an object for absent headers', () => {
    expect(withAuthorization(undefined, TOKEN)).toEqual({ authorization: TOKEN })
    expect(withAuthorization(null, TOKEN)).toEqual({ authorization: TOKEN })
  })

  it('copies a header named __proto__ as a header', () => {
    const headers = JSON.parse('{"__proto__": "x", "accept": "y"}') as Record<string, unknown>

    const result = withAuthorization(headers, TOKEN)

    expect(Object.getPrototypeOf(result)).toBe(Object.prototype)
    expect(Object.keys(result)).toEqual(['__proto__', 'accept', 'authorization'])
  })
})

describe('flattenHeaders', () => {
  it('turns any iterable of pairs into a flat list', () => {
    fc.assert(
      fc.property(pairs, (entries) => {
        function* generate() {
          yield* entries
        }
        expect(flattenHeaders(generate())).toEqual(entries.flat())
        expect(flattenHeaders(entries)).toEqual(entries.flat())
      }),
    )
  })

  it('reads Headers objects with lower-case names', () => {
    const headers = new Headers([
      ['X-Trace', 'abc'],
      ['Authorization', 'Bearer a'],
    ])

    expect(flattenHeaders(headers)).toEqual(['authorization', 'Bearer a', 'x-trace', 'abc'])
  })

  it('rejects a non-pair entry by position', () => {
    const call = () => flattenHeaders([['a', 'b'], ['secret-value']] as Iterable<unknown>)

    expect(call).toThrow(
      expect.objectContaining({
        code: 'ERR_ASAP_OPTION_INVALID',
        field: 'headers',
        message: expect.stringContaining('entry 1 of the headers iterable'),
      }),
    )
    expect(call).not.toThrow(/secret-value/)
  })
})

describe('needsFlattening', () => {
  it('selects iterables and arrays of pairs', () => {
    expect(needsFlattening(new Map())).toBe(true)
    expect(needsFlattening(new Headers())).toBe(true)
    expect(needsFlattening([['a', 'b']])).toBe(true)
    expect(needsFlattening(['a', 'b'])).toBe(false)
    expect(needsFlattening([])).toBe(false)
    expect(needsFlattening({ a: 'b' })).toBe(false)
    expect(needsFlattening(undefined)).toBe(false)
    expect(needsFlattening(null)).toBe(false)
  })

  it('ignores an iterator on Object.prototype', () => {
    const prototype = Object.prototype as unknown as Record<symbol, unknown>
    prototype[Symbol.iterator] = function* () {
      yield ['authorization', 'Bearer planted']
    }
    try {
      expect(needsFlattening({ accept: 'x' })).toBe(false)
    } finally {
      delete prototype[Symbol.iterator]
    }
  })
})
