import { AsapError, AsapInvalidOptionError, isAsapError } from '@asap-auth/core'
import {
  AsapVerificationError,
  type AsapVerificationErrorCode,
  ASAP_VERIFICATION_ERROR_CODES as codes,
  isAsapVerificationError,
  wwwAuthenticateHeader,
} from '@asap-auth/verifier'
import { describe, expect, it } from 'vitest'

const allCodes = Object.values(codes) as AsapVerificationErrorCode[]

describe('AsapVerificationError', () => {
  it('is an AsapError with code, status and details', () => {
    const error = new AsapVerificationError(codes.TOKEN_EXPIRED, 'expired', {
      field: 'exp',
      keyId: 'billing/key-1',
      issuer: 'billing',
    })
    expect(error).toBeInstanceOf(AsapVerificationError)
    expect(error).toBeInstanceOf(AsapError)
    expect(error).toBeInstanceOf(Error)
    expect(isAsapError(error)).toBe(true)
    expect(isAsapVerificationError(error)).toBe(true)
    expect(error.name).toBe('AsapVerificationError')
    expect(error.code).toBe('ERR_ASAP_TOKEN_EXPIRED')
    expect(error.status).toBe(401)
    expect(error.field).toBe('exp')
    expect(error.keyId).toBe('billing/key-1')
    expect(error.issuer).toBe('billing')
    expect(error.repositories).toEqual([])
  })

  it('matches instanceof for every code', () => {
    for (const code of allCodes) {
      expect(new AsapVerificationError(code, 'x'), code).toBeInstanceOf(AsapVerificationError)
    }
  })

  it('does not match other AsapError classes', () => {
    const optionError = new AsapInvalidOptionError('bad option', { field: 'leeway' })
    expect(optionError instanceof AsapVerificationError).toBe(false)
    expect(isAsapVerificationError(optionError)).toBe(false)
    expect(new Error('plain') instanceof AsapVerificationError).toBe(false)
    expect((null as unknown) instanceof AsapVerificationError).toBe(false)

    const verificationError = new AsapVerificationError(codes.SIGNATURE_INVALID, 'x')
    expect(verificationError instanceof AsapInvalidOptionError).toBe(false)
  })

  it('matches an error from another copy of the package', () => {
    // Another copy has other classes but registers the same Symbol.for brands.
    const foreign = new Error('from another copy')
    Object.defineProperty(foreign, Symbol.for('asap-auth.error'), { value: true })
    Object.defineProperty(foreign, Symbol.for('asap-auth.verification-error'), { value: true })
    expect(foreign instanceof AsapVerificationError).toBe(true)
    expect(foreign instanceof AsapError).toBe(true)
  })

  it('has status 403 only for a disallowed issuer', () => {
    for (const code of allCodes) {
      const expected = code === 'ERR_ASAP_ISSUER_NOT_ALLOWED' ? 403 : 401
      expect(new AsapVerificationError(code, 'x').status, code).toBe(expected)
    }
  })

  it('has distinct codes of the ERR_ASAP_ form', () => {
    expect(new Set(allCodes).size).toBe(allCodes.length)
    for (const code of allCodes) {
      expect(code).toMatch(/^ERR_ASAP_[A-Z_]+$/)
    }
  })

  it('freezes the repository list', () => {
    const repositories = ['https://a.example.com/']
    const error = new AsapVerificationError(codes.KEY_REPOSITORY_UNAVAILABLE, 'x', { repositories })
    repositories.push('https://b.example.com/')
    expect(error.repositories).toEqual(['https://a.example.com/'])
    expect(Object.isFrozen(error.repositories)).toBe(true)
  })
})

describe('wwwAuthenticateHeader', () => {
  it('omits the error code when no bearer token was sent', () => {
    for (const code of [codes.TOKEN_MISSING, codes.AUTHORIZATION_SCHEME_UNSUPPORTED]) {
      expect(wwwAuthenticateHeader(new AsapVerificationError(code, 'x'))).toBe('Bearer')
    }
  })

  it('adds invalid_token for a bad token', () => {
    for (const code of allCodes) {
      if (
        code === codes.TOKEN_MISSING ||
        code === codes.AUTHORIZATION_SCHEME_UNSUPPORTED ||
        code === codes.ISSUER_NOT_ALLOWED
      ) {
        continue
      }
      expect(wwwAuthenticateHeader(new AsapVerificationError(code, 'x')), code).toBe(
        'Bearer error="invalid_token"',
      )
    }
  })

  it('returns undefined for 403', () => {
    expect(wwwAuthenticateHeader(new AsapVerificationError(codes.ISSUER_NOT_ALLOWED, 'x'))).toBe(
      undefined,
    )
  })
})
