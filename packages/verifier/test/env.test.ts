import { AsapEnvironmentError } from '@asap-auth/core'
import { createVerifier, verifierOptionsFromEnv } from '@asap-auth/verifier'
import { describe, expect, it } from 'vitest'

function environmentError(env: NodeJS.ProcessEnv, settings?: { allowInsecureHttp?: boolean }) {
  try {
    verifierOptionsFromEnv(env, settings)
  } catch (error) {
    expect(error).toBeInstanceOf(AsapEnvironmentError)
    return error as AsapEnvironmentError
  }
  throw new Error('expected verifierOptionsFromEnv to throw')
}

describe('verifierOptionsFromEnv', () => {
  it('reads every variable', () => {
    const options = verifierOptionsFromEnv({
      ASAP_PUBLIC_KEY_REPOSITORY_URL: 'https://keys.example.com/asap',
      ASAP_PUBLIC_KEY_FALLBACK_REPOSITORY_URL: 'https://keys-2.example.com/',
      ASAP_VALID_AUDIENCE: 'invoices, search',
      ASAP_VALID_ISSUERS: 'billing,reports,',
      ASAP_SERVER_LEEWAY_SECONDS: '5',
    })
    expect(options).toEqual({
      keyRepository: ['https://keys.example.com/asap/', 'https://keys-2.example.com/'],
      audience: ['invoices', 'search'],
      allowedIssuers: ['billing', 'reports'],
      leeway: 5,
    })
  })

  it('leaves optional variables out', () => {
    const options = verifierOptionsFromEnv({
      ASAP_PUBLIC_KEY_REPOSITORY_URL: 'https://keys.example.com/',
      ASAP_PUBLIC_KEY_FALLBACK_REPOSITORY_URL: ' ',
      ASAP_VALID_AUDIENCE: 'invoices',
      ASAP_SERVER_LEEWAY_SECONDS: '',
    })
    expect(options).toEqual({
      keyRepository: ['https://keys.example.com/'],
      audience: ['invoices'],
    })
  })

  it('accepts every issuer when ASAP_VALID_ISSUERS is unset', () => {
    const options = verifierOptionsFromEnv({
      ASAP_PUBLIC_KEY_REPOSITORY_URL: 'https://keys.example.com/',
      ASAP_VALID_AUDIENCE: 'invoices',
    })
    expect(options).not.toHaveProperty('allowedIssuers')
  })

  it('rejects a list variable that is set but blank', () => {
    for (const blank of ['', '   ', '\t\n']) {
      const error = environmentError({
        ASAP_PUBLIC_KEY_REPOSITORY_URL: 'https://keys.example.com/',
        ASAP_VALID_AUDIENCE: blank,
        ASAP_VALID_ISSUERS: blank,
      })
      expect(error.code).toBe('ERR_ASAP_ENV_INVALID')
      expect(
        error.problems.map((problem) => problem.variable),
        JSON.stringify(blank),
      ).toEqual(['ASAP_VALID_AUDIENCE', 'ASAP_VALID_ISSUERS'])
      for (const problem of error.problems) {
        expect(problem.message).toContain('is set but blank')
      }
      expect(error.message).toContain('ASAP_VALID_ISSUERS: is set but blank')
      expect(error.message).toContain('unset it to accept every issuer')
    }
  })

  it('rejects a blank ASAP_VALID_ISSUERS alongside other problems', () => {
    const error = environmentError({
      ASAP_VALID_AUDIENCE: 'invoices',
      ASAP_VALID_ISSUERS: '',
      ASAP_SERVER_LEEWAY_SECONDS: 'ten',
    })
    expect(error.problems.map((problem) => problem.variable)).toEqual([
      'ASAP_PUBLIC_KEY_REPOSITORY_URL',
      'ASAP_VALID_ISSUERS',
      'ASAP_SERVER_LEEWAY_SECONDS',
    ])
  })

  it('returns options createVerifier accepts', () => {
    const options = verifierOptionsFromEnv({
      ASAP_PUBLIC_KEY_REPOSITORY_URL: 'https://keys.example.com/',
      ASAP_VALID_AUDIENCE: 'invoices',
    })
    expect(createVerifier({ ...options, timeout: 1000 }).audiences).toEqual(['invoices'])
  })

  it('names every missing variable in one error', () => {
    const error = environmentError({})
    expect(error.code).toBe('ERR_ASAP_ENV_INVALID')
    expect(error.problems.map((problem) => problem.variable)).toEqual([
      'ASAP_PUBLIC_KEY_REPOSITORY_URL',
      'ASAP_VALID_AUDIENCE',
    ])
  })

  it('names every invalid variable in one error', () => {
    const error = environmentError({
      ASAP_PUBLIC_KEY_REPOSITORY_URL: 'keys.example.com',
      ASAP_PUBLIC_KEY_FALLBACK_REPOSITORY_URL: 'http://keys.example.com/',
      ASAP_VALID_AUDIENCE: ',,',
      ASAP_VALID_ISSUERS: ' , ',
      ASAP_SERVER_LEEWAY_SECONDS: 'ten',
    })
    expect(error.problems.map((problem) => problem.variable)).toEqual([
      'ASAP_PUBLIC_KEY_REPOSITORY_URL',
      'ASAP_PUBLIC_KEY_FALLBACK_REPOSITORY_URL',
      'ASAP_VALID_AUDIENCE',
      'ASAP_VALID_ISSUERS',
      'ASAP_SERVER_LEEWAY_SECONDS',
    ])
    for (const variable of error.problems.map((problem) => problem.variable)) {
      expect(error.message).toContain(variable)
    }
  })

  it('rejects leeway out of range or not whole', () => {
    for (const leeway of ['-1', '301', '1.5', '1e2', '0x10']) {
      const error = environmentError({
        ASAP_PUBLIC_KEY_REPOSITORY_URL: 'https://keys.example.com/',
        ASAP_VALID_AUDIENCE: 'invoices',
        ASAP_SERVER_LEEWAY_SECONDS: leeway,
      })
      expect(
        error.problems.map((problem) => problem.variable),
        leeway,
      ).toEqual(['ASAP_SERVER_LEEWAY_SECONDS'])
    }
  })

  it('accepts http: only when allowed', () => {
    const env = {
      ASAP_PUBLIC_KEY_REPOSITORY_URL: 'http://127.0.0.1:8080/',
      ASAP_VALID_AUDIENCE: 'invoices',
    }
    expect(environmentError(env).problems[0]?.message).toContain('http:')
    expect(verifierOptionsFromEnv(env, { allowInsecureHttp: true }).keyRepository).toEqual([
      'http://127.0.0.1:8080/',
    ])
  })

  it('passes allowInsecureHttp on to createVerifier', () => {
    const env = {
      ASAP_PUBLIC_KEY_REPOSITORY_URL: 'http://127.0.0.1:8080/',
      ASAP_VALID_AUDIENCE: 'invoices',
    }
    const options = verifierOptionsFromEnv(env, { allowInsecureHttp: true })

    expect(options.allowInsecureHttp).toBe(true)
    expect(createVerifier(options).audiences).toEqual(['invoices'])
    expect(
      verifierOptionsFromEnv({ ...env, ASAP_PUBLIC_KEY_REPOSITORY_URL: 'https://k.test/' }),
    ).not.toHaveProperty('allowInsecureHttp')
  })

  it('keeps values out of the message', () => {
    const error = environmentError({
      ASAP_PUBLIC_KEY_REPOSITORY_URL: 'https://user:hunter2@keys.example.com/',
      ASAP_VALID_AUDIENCE: 'invoices',
      ASAP_SERVER_LEEWAY_SECONDS: 'hunter3',
    })
    expect(error.message).not.toContain('hunter2')
    expect(error.message).not.toContain('hunter3')
    expect(error.message).toContain('user name or password')
  })
})
