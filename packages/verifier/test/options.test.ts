import { AsapInvalidOptionError, AsapMissingOptionError } from '@asap-auth/core'
import { createVerifier, type VerifierOptions } from '@asap-auth/verifier'
import { describe, expect, it } from 'vitest'

const base: VerifierOptions = { audience: 'invoices', keyRepository: 'https://keys.example.com/' }

function optionError(options: Record<string, unknown>) {
  try {
    createVerifier(options as unknown as VerifierOptions)
  } catch (error) {
    return error as AsapInvalidOptionError
  }
  throw new Error('expected createVerifier to throw')
}

describe('createVerifier options', () => {
  it('accepts the minimal options', () => {
    expect(createVerifier(base).audiences).toEqual(['invoices'])
  })

  it('rejects missing audience and keyRepository', () => {
    for (const [options, field] of [
      [{ keyRepository: base.keyRepository }, 'audience'],
      [{ audience: 'invoices' }, 'keyRepository'],
      [{ audience: '', keyRepository: base.keyRepository }, 'audience'],
      [{ audience: 'invoices', keyRepository: '' }, 'keyRepository'],
    ] as const) {
      const error = optionError(options)
      expect(error).toBeInstanceOf(AsapMissingOptionError)
      expect(error.code).toBe('ERR_ASAP_OPTION_MISSING')
      expect(error.field).toBe(field)
    }
  })

  it('rejects invalid values with the field', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ audience: [] }, 'audience'],
      [{ audience: ['invoices', ''] }, 'audience'],
      [{ audience: 42 }, 'audience'],
      [{ keyRepository: [] }, 'keyRepository'],
      [{ keyRepository: 42 }, 'keyRepository'],
      [{ keyRepository: 'keys.example.com' }, 'keyRepository'],
      [{ keyRepository: 'ftp://keys.example.com/' }, 'keyRepository'],
      [{ keyRepository: 'http://keys.example.com/' }, 'keyRepository'],
      [{ keyRepository: ['https://a.example.com/', 'http://127.0.0.1/'] }, 'keyRepository[1]'],
      [{ keyRepository: 'https://keys.example.com/?x=1' }, 'keyRepository'],
      [{ keyRepository: 'https://keys.example.com/#top' }, 'keyRepository'],
      [{ keyRepository: 'https://user:pass@keys.example.com/' }, 'keyRepository'],
      [{ leeway: -1 }, 'leeway'],
      [{ leeway: 301 }, 'leeway'],
      [{ leeway: 1.5 }, 'leeway'],
      [{ leeway: '30' }, 'leeway'],
      [{ maxLifetime: 0 }, 'maxLifetime'],
      [{ maxLifetime: 3601 }, 'maxLifetime'],
      [{ subjectMustMatchIssuer: 'no' }, 'subjectMustMatchIssuer'],
      [{ allowedIssuers: [] }, 'allowedIssuers'],
      [{ allowedIssuers: [''] }, 'allowedIssuers'],
      [{ rejectReplayedJti: 'yes' }, 'rejectReplayedJti'],
      [{ rejectReplayedJti: { maxEntries: 0 } }, 'rejectReplayedJti.maxEntries'],
      [{ timeout: 0 }, 'timeout'],
      [{ timeout: 60_001 }, 'timeout'],
      [{ keyCacheTtl: -1 }, 'keyCacheTtl'],
      [{ keyCacheTtl: 86_401 }, 'keyCacheTtl'],
      [{ missingKeyCacheTtl: 3601 }, 'missingKeyCacheTtl'],
      [{ keyCacheMaxEntries: 0 }, 'keyCacheMaxEntries'],
      [{ missingKeyCacheMaxEntries: 0 }, 'missingKeyCacheMaxEntries'],
      [{ missingKeyCacheMaxEntries: 1_000_001 }, 'missingKeyCacheMaxEntries'],
      [{ missingKeyCacheMaxEntries: 2.5 }, 'missingKeyCacheMaxEntries'],
      [{ maxConcurrentKeyFetches: 0 }, 'maxConcurrentKeyFetches'],
      [{ maxConcurrentKeyFetches: 1001 }, 'maxConcurrentKeyFetches'],
      [{ maxConcurrentKeyFetches: 1.5 }, 'maxConcurrentKeyFetches'],
      [{ maxConcurrentKeyFetches: '16' }, 'maxConcurrentKeyFetches'],
      [{ maxConcurrentKeyFetches: Number.POSITIVE_INFINITY }, 'maxConcurrentKeyFetches'],
      [{ allowInsecureHttp: 1 }, 'allowInsecureHttp'],
      [{ dispatcher: {} }, 'dispatcher'],
      [{ clock: { now: 5 } }, 'clock'],
      [{ audiences: ['invoices'] }, 'audiences'],
    ]
    for (const [change, field] of cases) {
      const error = optionError({ ...base, ...change })
      expect(error, JSON.stringify(change)).toBeInstanceOf(AsapInvalidOptionError)
      expect(error.code).toBe('ERR_ASAP_OPTION_INVALID')
      expect(error.field, JSON.stringify(change)).toBe(field)
    }
  })

  it('accepts the bounds of the key fetch limits', () => {
    for (const change of [
      { maxConcurrentKeyFetches: 1, missingKeyCacheMaxEntries: 1 },
      { maxConcurrentKeyFetches: 1000, missingKeyCacheMaxEntries: 1_000_000 },
    ]) {
      expect(createVerifier({ ...base, ...change }).audiences).toEqual(['invoices'])
    }
  })

  it('says the range of maxConcurrentKeyFetches', () => {
    const error = optionError({ ...base, maxConcurrentKeyFetches: 0 })
    expect(error.message).toBe(
      'Invalid maxConcurrentKeyFetches: expected a whole number of lookups from 1 to 1000, got 0.',
    )
  })

  it('says how to fix an http: URL', () => {
    const error = optionError({ ...base, keyRepository: 'http://keys.example.com/' })
    expect(error.message).toContain('"http://keys.example.com/"')
    expect(error.message).toContain('allowInsecureHttp')
  })

  it('keeps credentials out of the message', () => {
    const error = optionError({ ...base, keyRepository: 'https://user:hunter2@keys.example.com/' })
    expect(error.message).not.toContain('hunter2')
  })

  it('names unknown options', () => {
    const error = optionError({ ...base, audiences: ['x'], leway: 5 })
    expect(error.message).toContain('"audiences" and "leway" are not options of createVerifier')
    expect(error.message).toContain(
      'Did you mean "audience" for "audiences", "leeway" for "leway"?',
    )
    expect(error.field).toBe('audiences')
  })

  it('rejects a non-object', () => {
    expect(optionError(undefined as unknown as Record<string, unknown>)).toBeInstanceOf(
      AsapInvalidOptionError,
    )
  })

  it('accepts http: to loopback with allowInsecureHttp', () => {
    const warnings: Error[] = []
    const listener = (warning: Error) => warnings.push(warning)
    process.on('warning', listener)
    try {
      const verifier = createVerifier({
        ...base,
        keyRepository: ['http://127.0.0.1:1/', 'http://localhost:1/', 'http://[::1]:1/'],
        allowInsecureHttp: true,
      })
      expect(verifier.audiences).toEqual(['invoices'])
    } finally {
      process.off('warning', listener)
    }
    expect(warnings).toEqual([])
  })

  it('warns once about http: to another host', async () => {
    const warnings: (Error & { code?: string })[] = []
    const listener = (warning: Error) => warnings.push(warning)
    process.on('warning', listener)
    try {
      createVerifier({
        ...base,
        keyRepository: 'http://keys.internal:8080/',
        allowInsecureHttp: true,
      })
      createVerifier({
        ...base,
        keyRepository: 'http://keys.internal:8080/a',
        allowInsecureHttp: true,
      })
      await new Promise((resolve) => setImmediate(resolve))
    } finally {
      process.off('warning', listener)
    }
    expect(warnings.map((warning) => warning.code)).toEqual(['ASAP_INSECURE_KEY_REPOSITORY'])
    expect(warnings[0]?.name).toBe('AsapInsecureKeyRepositoryWarning')
  })
})
