import { inspect } from 'node:util'
import {
  AsapEnvironmentError,
  createSigner,
  DEFAULT_BACKDATE,
  signerOptionsFromEnv,
} from '@asap-auth/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { findKeyMaterial, generateKeys, type TestKeys } from '../../../test/helpers/keys.js'
import { expectAsapError, fixedClock, NOW, thrownBy, verifyWithBoth } from './support.js'

const rsa = generateKeys('RS256')
const ec = generateKeys('ES256')

function environment(overrides: Record<string, string | undefined> = {}) {
  return {
    ASAP_ISSUER: 'billing',
    ASAP_KEY_ID: 'billing/key-1',
    ASAP_PRIVATE_KEY: rsa.pkcs8Pem.replace(/\n/g, '\\n'),
    ...overrides,
  }
}

/** Reads the environment, expects an AsapEnvironmentError, and returns its problem variables. */
function problemVariables(
  env: Record<string, string | undefined>,
  keys: readonly TestKeys[] = [rsa, ec],
): string[] {
  const error = thrownBy(() => signerOptionsFromEnv(env))
  const variables = (error as AsapEnvironmentError).problems.map((problem) => problem.variable)
  expectAsapError(error, { type: AsapEnvironmentError, field: variables.join(', '), keys })
  for (const problem of (error as AsapEnvironmentError).problems) {
    for (const key of keys) {
      expect(findKeyMaterial(problem.message, key)).toBeUndefined()
    }
  }
  return variables
}

describe('signerOptionsFromEnv', () => {
  afterEach(() => {
    vi.unstubAllEnvs()
  })

  it('reads every variable', async () => {
    const options = signerOptionsFromEnv(
      environment({
        ASAP_PRIVATE_KEY: `"${ec.traditionalPem.replace(/\n/g, '\\n')}"`,
        ASAP_ALGORITHM: 'ES256',
        ASAP_AUDIENCE: ' invoices , ledger,, ',
        ASAP_SUBJECT: 'user-1',
        ASAP_EXPIRES_IN: '600',
      }),
    )
    expect(options).toMatchObject({
      issuer: 'billing',
      keyId: 'billing/key-1',
      algorithm: 'ES256',
      audience: ['invoices', 'ledger'],
      subject: 'user-1',
      expiresIn: 600,
    })
    expect(options.privateKey.equals(ec.privateKey)).toBe(true)

    const signer = createSigner({ ...options, clock: fixedClock })
    const { payload } = await verifyWithBoth(await signer.sign(), ec)
    const iat = NOW - DEFAULT_BACKDATE
    expect(payload).toMatchObject({
      iss: 'billing',
      sub: 'user-1',
      aud: ['invoices', 'ledger'],
      exp: iat + 600,
    })
  })

  it('leaves optional variables unset', () => {
    const options = signerOptionsFromEnv(environment({ ASAP_SUBJECT: '  ', ASAP_AUDIENCE: '' }))
    expect(options.algorithm).toBe('RS256')
    expect(options.audience).toBeUndefined()
    expect(options.subject).toBeUndefined()
    expect(options.expiresIn).toBeUndefined()
  })

  it('takes the key ID from a data-URI key', () => {
    const options = signerOptionsFromEnv(
      environment({ ASAP_KEY_ID: undefined, ASAP_PRIVATE_KEY: rsa.dataUri('billing/key+2') }),
    )
    expect(options.keyId).toBe('billing/key+2')
    expect(createSigner(options).keyId).toBe('billing/key+2')
  })

  it('accepts an equal ASAP_KEY_ID and data-URI kid', () => {
    const options = signerOptionsFromEnv(
      environment({ ASAP_PRIVATE_KEY: rsa.dataUri('billing/key-1') }),
    )
    expect(options.keyId).toBe('billing/key-1')
  })

  it('trims the issuer and key ID', () => {
    const options = signerOptionsFromEnv(
      environment({ ASAP_ISSUER: ' billing ', ASAP_KEY_ID: 'billing/key-1\n' }),
    )
    expect(options).toMatchObject({ issuer: 'billing', keyId: 'billing/key-1' })
  })

  it('reads process.env by default', () => {
    for (const [name, value] of Object.entries(environment())) {
      vi.stubEnv(name, value)
    }
    expect(signerOptionsFromEnv().keyId).toBe('billing/key-1')
  })

  it('does not pass the key text on', () => {
    const options = signerOptionsFromEnv(environment())
    expect(findKeyMaterial(inspect(options, { depth: 10 }), rsa)).toBeUndefined()
    expect(findKeyMaterial(JSON.stringify(options), rsa)).toBeUndefined()
  })

  it('names every missing variable', () => {
    expect(problemVariables({})).toEqual(['ASAP_ISSUER', 'ASAP_PRIVATE_KEY', 'ASAP_KEY_ID'])
  })

  it('names blank variables as missing', () => {
    expect(problemVariables({ ASAP_ISSUER: ' ', ASAP_PRIVATE_KEY: '', ASAP_KEY_ID: '' })).toEqual([
      'ASAP_ISSUER',
      'ASAP_PRIVATE_KEY',
      'ASAP_KEY_ID',
    ])
  })

  it('names a missing key ID for a key without one', () => {
    expect(problemVariables(environment({ ASAP_KEY_ID: undefined }))).toEqual(['ASAP_KEY_ID'])
  })

  it('names every invalid variable at once', () => {
    const env = environment({
      ASAP_ALGORITHM: 'HS256',
      ASAP_EXPIRES_IN: '7200',
      ASAP_AUDIENCE: ' , ',
      ASAP_KEY_ID: 'billing/../key',
    })
    expect(problemVariables(env)).toEqual([
      'ASAP_ALGORITHM',
      'ASAP_EXPIRES_IN',
      'ASAP_AUDIENCE',
      'ASAP_KEY_ID',
    ])
  })

  it.each(['0', '3601', '1.5', '60s', '-5', 'abc'])('rejects ASAP_EXPIRES_IN %j', (value) => {
    expect(problemVariables(environment({ ASAP_EXPIRES_IN: value }))).toEqual(['ASAP_EXPIRES_IN'])
  })

  it('rejects a lower-case algorithm', () => {
    expect(problemVariables(environment({ ASAP_ALGORITHM: 'rs256' }))).toEqual(['ASAP_ALGORITHM'])
  })

  it('rejects a key ID of another issuer', () => {
    expect(problemVariables(environment({ ASAP_KEY_ID: 'ledger/key-1' }))).toEqual(['ASAP_KEY_ID'])
  })

  it('rejects a data-URI kid of another issuer', () => {
    const env = environment({ ASAP_KEY_ID: undefined, ASAP_PRIVATE_KEY: rsa.dataUri('ledger/k') })
    expect(problemVariables(env)).toEqual(['ASAP_PRIVATE_KEY'])
  })

  it('rejects a key ID that differs from the data-URI kid', () => {
    const env = environment({ ASAP_PRIVATE_KEY: rsa.dataUri('billing/key-2') })
    expect(problemVariables(env)).toEqual(['ASAP_KEY_ID'])
  })

  it('rejects a key that does not fit the algorithm', () => {
    const env = environment({ ASAP_PRIVATE_KEY: ec.pkcs8Pem })
    expect(problemVariables(env)).toEqual(['ASAP_PRIVATE_KEY'])
  })

  it('rejects an encrypted key with the command that converts it', () => {
    const encrypted = rsa.privateKey.export({
      type: 'pkcs8',
      format: 'pem',
      cipher: 'aes-256-cbc',
      passphrase: 'secret',
    })
    const error = thrownBy(() =>
      signerOptionsFromEnv(environment({ ASAP_PRIVATE_KEY: String(encrypted) })),
    )
    expect((error as AsapEnvironmentError).problems).toEqual([
      { variable: 'ASAP_PRIVATE_KEY', message: expect.stringContaining('openssl pkcs8 -topk8') },
    ])
  })

  it('does not name the key ID missing for a damaged data URI', () => {
    const damaged = rsa.dataUri('billing/key-1').slice(0, 200)
    const env = environment({ ASAP_KEY_ID: undefined, ASAP_PRIVATE_KEY: damaged })
    expect(problemVariables(env)).toEqual(['ASAP_PRIVATE_KEY'])
  })

  it('never shows the value of ASAP_PRIVATE_KEY', () => {
    const value = 'MySecretKeyValue-0123456789abcdefghijklmnop'
    const error = thrownBy(() => signerOptionsFromEnv(environment({ ASAP_PRIVATE_KEY: value })))
    expect((error as Error).message).not.toContain(value.slice(0, 12))
    expect(inspect(error, { depth: 10 })).not.toContain(value.slice(0, 12))
  })

  it('lists each problem on its own line', () => {
    const error = thrownBy(() => signerOptionsFromEnv({}))
    expect((error as Error).message.split('\n')).toHaveLength(4)
    expect((error as Error).message).toMatch(/^ {2}ASAP_ISSUER: is missing/m)
  })
})
