import {
  AsapInvalidKeyIdError,
  createSigner,
  isKeyIdOwnedBy,
  isValidKeyId,
  keyIdProblem,
} from '@asap-auth/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { generateKeys } from '../../../test/helpers/keys.js'
import { expectAsapError, thrownBy } from './support.js'

/** Checks the key ID rules with one regular expression plus the two `.` rules. */
function followsRules(keyId: string): boolean {
  return (
    /^[A-Za-z0-9_.+-]+(\/[A-Za-z0-9_.+-]+)*$/.test(keyId) &&
    !keyId.includes('..') &&
    !keyId.split('/').includes('.')
  )
}

const segmentCharacter = fc.constantFrom(...'abcXYZ019_.+-'.split(''))
const segment = fc
  .string({ unit: segmentCharacter, minLength: 1, maxLength: 8 })
  .filter((text) => text !== '.' && !text.includes('..'))
const validKeyId = fc
  .array(segment, { minLength: 1, maxLength: 4 })
  .map((segments) => segments.join('/'))
  .filter((keyId) => !keyId.includes('..'))

const anyCharacter = fc.constantFrom(
  ...'aZ0_.+-/'.split(''),
  ' ',
  '\t',
  '?',
  ';',
  '%',
  '\\',
  '#',
  'ä',
  '\u00a0',
  '\u0000',
)

describe('key ID rules', () => {
  it('match the written rules for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: anyCharacter, maxLength: 12 }), (keyId) => {
        expect(isValidKeyId(keyId)).toBe(followsRules(keyId))
        expect(keyIdProblem(keyId) === undefined).toBe(followsRules(keyId))
      }),
      { numRuns: 2000 },
    )
  })

  it('accept every generated valid key ID', () => {
    fc.assert(
      fc.property(validKeyId, (keyId) => {
        expect(keyIdProblem(keyId)).toBeUndefined()
      }),
    )
  })

  it('reject a valid key ID with one bad character inserted', () => {
    const badCharacter = fc.constantFrom(' ', '?', ';', '%', '\\', 'ä', '#', ':', '\n')
    fc.assert(
      fc.property(validKeyId, badCharacter, fc.nat(), (keyId, bad, position) => {
        const at = position % (keyId.length + 1)
        expect(isValidKeyId(keyId.slice(0, at) + bad + keyId.slice(at))).toBe(false)
      }),
    )
  })

  it('reject leading, trailing and double slashes', () => {
    fc.assert(
      fc.property(validKeyId, (keyId) => {
        expect(isValidKeyId(`/${keyId}`)).toBe(false)
        expect(isValidKeyId(`${keyId}/`)).toBe(false)
        expect(isValidKeyId(`${keyId}//k`)).toBe(false)
      }),
    )
  })

  it('reject ".." anywhere', () => {
    fc.assert(
      fc.property(validKeyId, fc.nat(), (keyId, position) => {
        const at = position % (keyId.length + 1)
        expect(isValidKeyId(`${keyId.slice(0, at)}..${keyId.slice(at)}`)).toBe(false)
      }),
    )
  })

  it('reject values that are not strings', () => {
    for (const value of [undefined, null, 7, ['a/b'], { keyId: 'a/b' }]) {
      expect(isValidKeyId(value)).toBe(false)
    }
  })

  it('reject an empty key ID', () => {
    expect(keyIdProblem('')).toBe('must not be empty')
  })
})

describe('key ID ownership', () => {
  it('holds for the issuer followed by a slash', () => {
    fc.assert(
      fc.property(validKeyId, validKeyId, (issuer, rest) => {
        expect(isKeyIdOwnedBy(`${issuer}/${rest}`, issuer)).toBe(true)
      }),
    )
  })

  it('fails for a longer issuer name, the issuer alone, or another issuer', () => {
    fc.assert(
      fc.property(validKeyId, validKeyId, (issuer, rest) => {
        expect(isKeyIdOwnedBy(`${issuer}x/${rest}`, issuer)).toBe(false)
        expect(isKeyIdOwnedBy(issuer, issuer)).toBe(false)
        expect(isKeyIdOwnedBy(`${issuer}/`, issuer)).toBe(false)
        expect(isKeyIdOwnedBy(`${rest}/${issuer}`, `${issuer}-other`)).toBe(false)
      }),
    )
  })
})

describe('key IDs in createSigner', () => {
  const keys = generateKeys('ES256')

  it('accept every valid key ID under its issuer', () => {
    fc.assert(
      fc.property(segment, validKeyId, (issuer, rest) => {
        const keyId = `${issuer}/${rest}`
        fc.pre(!keyId.includes('..'))
        const signer = createSigner({
          issuer,
          keyId,
          privateKey: keys.privateKey,
          algorithm: 'ES256',
        })
        expect(signer.keyId).toBe(keyId)
      }),
      { numRuns: 50 },
    )
  })

  it('reject every invalid key ID with its field', () => {
    fc.assert(
      fc.property(fc.string({ unit: anyCharacter, minLength: 1, maxLength: 12 }), (keyId) => {
        fc.pre(!followsRules(keyId))
        const error = thrownBy(() =>
          createSigner({ issuer: 'a', keyId, privateKey: keys.privateKey, algorithm: 'ES256' }),
        )
        expectAsapError(error, { type: AsapInvalidKeyIdError, field: 'keyId' })
      }),
      { numRuns: 200 },
    )
  })
})
