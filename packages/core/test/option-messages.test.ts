import { generateKeyPairSync } from 'node:crypto'
import {
  type AsapEnvironmentError,
  AsapInvalidKeyIdError,
  AsapInvalidOptionError,
  AsapKeyAlgorithmMismatchError,
  AsapMissingOptionError,
  createSigner,
  createTokenProvider,
  type SignerOptions,
  signerOptionsFromEnv,
} from '@asap-auth/core'
import { describe, expect, it } from 'vitest'
import { generateKeys } from '../../../test/helpers/keys.js'
import { expectAsapError, fixedClock, thrownBy } from './support.js'

const rsa = generateKeys('RS256')
const p256 = generateKeys('ES256')

const KEY_ID_SEGMENTS =
  'Use segments of ASCII letters, digits, "_", ".", "+" and "-" joined by "/", such as "my-service/key-1".'

function options(overrides: Record<string, unknown> = {}): SignerOptions {
  return {
    issuer: 'billing',
    keyId: 'billing/key-1',
    privateKey: rsa.pkcs8Pem,
    clock: fixedClock,
    ...overrides,
  } as SignerOptions
}

function creationMessage(overrides: Record<string, unknown>): string {
  return (thrownBy(() => createSigner(options(overrides))) as Error).message
}

describe('signer option messages', () => {
  it('describe the missing issuer', () => {
    const error = thrownBy(() => createSigner(options({ issuer: undefined })))

    expectAsapError(error, { type: AsapMissingOptionError, field: 'issuer' })
    expect((error as Error).message).toBe(
      `Missing issuer: set it to this service's identifier, such as "my-service".`,
    )
  })

  it('describe an issuer that is not a string', () => {
    const error = thrownBy(() => createSigner(options({ issuer: 42 })))

    expectAsapError(error, { type: AsapInvalidOptionError, field: 'issuer' })
    expect((error as Error).message).toBe(
      `Invalid issuer: expected this service's identifier as a string, such as "my-service", got number.`,
    )
  })

  it('describe the missing key ID', () => {
    const expected =
      'Missing keyId: set it to the key ID under which the public key is published, such as "my-service/key-1", or give the key as a data URI with a kid parameter.'

    expect(creationMessage({ keyId: undefined })).toBe(expected)
    expect(creationMessage({ keyId: '' })).toBe(expected)
  })

  it('describe an empty subject', () => {
    const error = thrownBy(() => createSigner(options({ subject: '' })))

    expectAsapError(error, { type: AsapMissingOptionError, field: 'subject' })
    expect((error as Error).message).toBe(
      'Missing subject: set it to the principal the token acts for, such as "user-1", or leave it unset so that it defaults to the issuer.',
    )
  })
})

describe('key ID messages', () => {
  it('state the allowed characters once', () => {
    const error = thrownBy(() => createSigner(options({ keyId: 'billing/key 1' })))

    expectAsapError(error, { type: AsapInvalidKeyIdError, field: 'keyId' })
    expect((error as Error).message).toBe(
      'Invalid keyId "billing/key 1": a key ID may contain only ASCII letters, digits, "_", ".", "+", "-" and "/" between segments, such as "my-service/key-1".',
    )
  })

  it('name the rule broken and the allowed form', () => {
    expect(creationMessage({ keyId: 'billing/../key' })).toBe(
      `Invalid keyId "billing/../key": a key ID must not contain "..". ${KEY_ID_SEGMENTS}`,
    )
    expect(creationMessage({ keyId: 'billing//key' })).toBe(
      `Invalid keyId "billing//key": a key ID must not contain an empty segment ("//"). ${KEY_ID_SEGMENTS}`,
    )
  })
})

describe('environment messages', () => {
  function environment(overrides: Record<string, string | undefined> = {}) {
    return {
      ASAP_ISSUER: 'billing',
      ASAP_KEY_ID: 'billing/key-1',
      ASAP_PRIVATE_KEY: rsa.pkcs8Pem,
      ...overrides,
    }
  }

  /** Reads `env`, expects exactly one problem, and returns it. */
  function onlyProblem(env: Record<string, string | undefined>) {
    const error = thrownBy(() => signerOptionsFromEnv(env)) as AsapEnvironmentError
    expect(error.code).toBe('ERR_ASAP_ENV_INVALID')
    expect(error.problems).toHaveLength(1)
    return error.problems[0]!
  }

  it('do not repeat the variable name', () => {
    const problem = onlyProblem(environment({ ASAP_PRIVATE_KEY: rsa.spkiPem }))

    expect(problem).toEqual({
      variable: 'ASAP_PRIVATE_KEY',
      message:
        'is a public key (BEGIN PUBLIC KEY), but signing needs the private key. Give the private key of the pair, in any accepted form; publish only the public key.',
    })
  })

  it('do not repeat the variable inside a sentence', () => {
    const problem = onlyProblem(
      environment({
        ASAP_KEY_ID: undefined,
        ASAP_PRIVATE_KEY: 'data:application/pkcs8;kid=billing%ZZ;base64,AAAA',
      }),
    )

    expect(problem.variable).toBe('ASAP_PRIVATE_KEY')
    expect(problem.message).toBe(
      'The kid parameter "billing%ZZ" of the data URI is not valid percent-encoding. Encode "/" as %2F and "+" as %2B, for example kid=my-service%2Fkey-1.',
    )
  })

  it('name ASAP_ALGORITHM for a key that does not fit the default', () => {
    const problem = onlyProblem(environment({ ASAP_PRIVATE_KEY: p256.pkcs8Pem }))

    expect(problem).toEqual({
      variable: 'ASAP_PRIVATE_KEY',
      message:
        'is an EC P-256 key, which cannot sign RS256, the default when ASAP_ALGORITHM is unset. Set ASAP_ALGORITHM to ES256, or use a key that fits RS256.',
    })
  })

  it('name ASAP_ALGORITHM for a key that does not fit the one set', () => {
    const problem = onlyProblem(environment({ ASAP_ALGORITHM: 'ES384' }))

    expect(problem).toEqual({
      variable: 'ASAP_PRIVATE_KEY',
      message:
        'is a 2048-bit RSA key, which cannot sign ES384. Set ASAP_ALGORITHM to RS256, RS384, RS512, PS256, PS384 or PS512, or use a key that fits ES384.',
    })
  })

  it('keep option names outside the environment', () => {
    const direct = thrownBy(() => createSigner(options({ privateKey: p256.pkcs8Pem })))

    expectAsapError(direct, { type: AsapKeyAlgorithmMismatchError, field: 'privateKey' })
    expect((direct as Error).message).toBe(
      'The privateKey is an EC P-256 key, which cannot sign RS256. Set algorithm to ES256, or use a key that fits RS256.',
    )
  })

  it('describe an unsupported ASAP_ALGORITHM', () => {
    expect(onlyProblem(environment({ ASAP_ALGORITHM: 'HS256' }))).toEqual({
      variable: 'ASAP_ALGORITHM',
      message:
        'is "HS256", but ASAP allows only RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512.',
    })
    expect(onlyProblem(environment({ ASAP_ALGORITHM: 'es256' })).message).toBe(
      'is "es256", but ASAP allows only RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512. Algorithm names are case-sensitive: use "ES256".',
    )
  })

  it('describe an invalid ASAP_KEY_ID', () => {
    expect(onlyProblem(environment({ ASAP_KEY_ID: 'billing/../key' }))).toEqual({
      variable: 'ASAP_KEY_ID',
      message: `is "billing/../key", but a key ID must not contain "..". ${KEY_ID_SEGMENTS}`,
    })
    expect(onlyProblem(environment({ ASAP_KEY_ID: 'billing/key 1' })).message).toBe(
      'is "billing/key 1", but a key ID may contain only ASCII letters, digits, "_", ".", "+", "-" and "/" between segments, such as "my-service/key-1".',
    )
  })

  it('name ASAP_ISSUER for a key ID of another issuer', () => {
    expect(onlyProblem(environment({ ASAP_KEY_ID: 'ledger/key-1' }))).toEqual({
      variable: 'ASAP_KEY_ID',
      message:
        'is "ledger/key-1", but verifiers accept from the issuer "billing" only key IDs that start with "billing/". Publish the key under a key ID such as "billing/key-1", or correct ASAP_ISSUER.',
    })
  })

  it('describe an invalid data-URI kid', () => {
    const env = environment({ ASAP_KEY_ID: undefined, ASAP_PRIVATE_KEY: rsa.dataUri('ledger/k') })

    expect(onlyProblem(env)).toEqual({
      variable: 'ASAP_PRIVATE_KEY',
      message:
        'carries the key ID "ledger/k" in its kid parameter, but verifiers accept from the issuer "billing" only key IDs that start with "billing/". Publish the key under a key ID such as "billing/key-1", or correct ASAP_ISSUER.',
    })
  })

  it('prefix each line with its variable once', () => {
    const error = thrownBy(() =>
      signerOptionsFromEnv(environment({ ASAP_PRIVATE_KEY: rsa.spkiPem, ASAP_KEY_ID: 'a b' })),
    ) as AsapEnvironmentError

    expect(error.message).toBe(
      [
        'Invalid ASAP configuration in environment variables:',
        '  ASAP_PRIVATE_KEY: is a public key (BEGIN PUBLIC KEY), but signing needs the private key. Give the private key of the pair, in any accepted form; publish only the public key.',
        '  ASAP_KEY_ID: is "a b", but a key ID may contain only ASCII letters, digits, "_", ".", "+", "-" and "/" between segments, such as "my-service/key-1".',
      ].join('\n'),
    )
  })
})

describe('BigInt values in options', () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const base = {
    issuer: 'billing',
    keyId: 'billing/key-1',
    privateKey,
    algorithm: 'ES256' as const,
  }

  it('expiresIn as a BigInt is an invalid option', () => {
    expect(() => createSigner({ ...base, expiresIn: 3600n as never })).toThrow(
      expect.objectContaining({ code: 'ERR_ASAP_OPTION_INVALID', field: 'expiresIn' }),
    )
  })

  it('a BigInt exp claim is an invalid claim', () => {
    expect(() => createSigner({ ...base, additionalClaims: { exp: 1n } })).toThrow(
      expect.objectContaining({ code: 'ERR_ASAP_CLAIMS_INVALID', field: 'additionalClaims.exp' }),
    )
  })

  it('max as a BigInt is an invalid provider option', () => {
    expect(() => createTokenProvider(base, { max: 100n as never })).toThrow(
      expect.objectContaining({ code: 'ERR_ASAP_OPTION_INVALID', field: 'max' }),
    )
  })
})
