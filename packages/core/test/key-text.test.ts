import { loadPrivateKey } from '@asap-auth/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { generateKeys, type TestKeys } from '../../../test/helpers/keys.js'
import { decodeBase64Text, normalizeKeyText } from '../src/key-text.js'

const allKeys = [generateKeys('RS256'), generateKeys('ES256'), generateKeys('ES384')]

/** What an environment variable, a .env file or a paste can do to the text of a key. */
interface Damage {
  lineBreak: string
  width: number
  quote: string
  before: string
  after: string
  insideQuotes: string
  lineEnd: string
}

const blank = fc.constantFrom(' ', '\t', '\n', '\r\n')
const damage: fc.Arbitrary<Damage> = fc.record({
  lineBreak: fc.constantFrom('\n', '\r\n', '\\n', '\\r\\n', ' '),
  width: fc.constantFrom(64, 76, 40, 10_000),
  quote: fc.constantFrom('', '"', "'"),
  before: fc.string({ unit: blank, maxLength: 3 }),
  after: fc.string({ unit: blank, maxLength: 3 }),
  insideQuotes: fc.string({ unit: blank, maxLength: 2 }),
  lineEnd: fc.constantFrom('', ' ', '\t'),
})

function wrap(body: string, width: number, lineEnd: string): string[] {
  const lines: string[] = []
  for (let start = 0; start < body.length; start += width) {
    lines.push(body.slice(start, start + width) + lineEnd)
  }
  return lines
}

function damagePem(pem: string, change: Damage): string {
  const label = /-----BEGIN ([A-Z ]+)-----/.exec(pem)![1]!
  const body = pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '')
  const lines = [
    `-----BEGIN ${label}-----`,
    ...wrap(body, change.width, change.lineEnd),
    `-----END ${label}-----`,
  ]
  const text = change.insideQuotes + lines.join(change.lineBreak) + change.insideQuotes
  return change.before + change.quote + text + change.quote + change.after
}

function damageBase64(base64: string, change: Damage): string {
  const text = wrap(base64, change.width, change.lineEnd).join(change.lineBreak)
  const quoted = change.quote + change.insideQuotes + text + change.insideQuotes + change.quote
  return change.before + quoted + change.after
}

const keyChoice = fc.constantFrom(...allKeys)

describe('key text normalisation', () => {
  it('loads the same key from any damaged PKCS#8 PEM', () => {
    fc.assert(
      fc.property(keyChoice, damage, (keys: TestKeys, change) => {
        const loaded = loadPrivateKey(damagePem(keys.pkcs8Pem, change))
        expect(loaded.key.equals(keys.privateKey)).toBe(true)
      }),
      { numRuns: 300 },
    )
  })

  it('loads the same key from any damaged PKCS#1 or SEC1 PEM', () => {
    fc.assert(
      fc.property(keyChoice, damage, (keys: TestKeys, change) => {
        const loaded = loadPrivateKey(damagePem(keys.traditionalPem, change))
        expect(loaded.key.equals(keys.privateKey)).toBe(true)
      }),
      { numRuns: 300 },
    )
  })

  it('loads the same key from any damaged Base64 DER', () => {
    const alphabet = fc.constantFrom('base64', 'base64url')
    fc.assert(
      fc.property(keyChoice, damage, alphabet, (keys: TestKeys, change, encoding) => {
        const base64 = encoding === 'base64' ? keys.pkcs8DerBase64 : keys.pkcs8DerBase64Url
        const loaded = loadPrivateKey(damageBase64(base64, change))
        expect(loaded.key.equals(keys.privateKey)).toBe(true)
      }),
      { numRuns: 300 },
    )
  })

  it('loads the same key and kid from any damaged data URI', () => {
    fc.assert(
      fc.property(keyChoice, damage, (keys: TestKeys, change) => {
        const [header, body] = keys.dataUri('svc/key+1').split(',') as [string, string]
        const text = `${change.before}${change.quote}${header},${wrap(body, change.width, change.lineEnd).join(change.lineBreak)}${change.quote}${change.after}`
        const loaded = loadPrivateKey(text)
        expect(loaded.key.equals(keys.privateKey)).toBe(true)
        expect(loaded.keyId).toBe('svc/key+1')
      }),
      { numRuns: 200 },
    )
  })

  it('only trims text without quotes, backslashes or CR', () => {
    const clean = fc.constantFrom(...'Mab+/=_-:- \n\t'.split(''), '-----BEGIN PRIVATE KEY-----')
    fc.assert(
      fc.property(fc.string({ unit: clean, maxLength: 40 }), (text) => {
        expect(normalizeKeyText(text)).toBe(text.trim())
      }),
      { numRuns: 1000 },
    )
  })

  it('removes quotes, escapes and CR', () => {
    expect(normalizeKeyText(`  "a\\nb\\r\\nc\r\nd\re"  `)).toBe('a\nb\nc\nd\ne')
    expect(normalizeKeyText(`'"x"'`)).toBe('x')
    expect(normalizeKeyText(`"x'`)).toBe(`"x'`)
  })
})

describe('decodeBase64Text', () => {
  it('decodes any bytes in either alphabet, with or without padding and blanks', () => {
    const spacing = fc.string({ unit: blank, maxLength: 2 })
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }).filter((bytes) => bytes.length > 0),
        fc.constantFrom('base64', 'base64url'),
        fc.boolean(),
        spacing,
        fc.nat(),
        (bytes, encoding, padded, space, position) => {
          let text = Buffer.from(bytes).toString(encoding as BufferEncoding)
          if (!padded) {
            text = text.replace(/=+$/, '')
          }
          const at = position % (text.length + 1)
          text = text.slice(0, at) + space + text.slice(at)
          expect(decodeBase64Text(text)).toEqual(Buffer.from(bytes))
        },
      ),
      { numRuns: 1000 },
    )
  })

  it('rejects text outside the alphabets', () => {
    for (const text of ['', '   ', 'abc!', 'ab=c', 'a', 'abcde', 'äbcd', 'ab==cd']) {
      expect(decodeBase64Text(text)).toBeUndefined()
    }
  })
})
