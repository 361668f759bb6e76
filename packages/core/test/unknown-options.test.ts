import {
  AsapInvalidOptionError,
  assertKnownOptions,
  createSigner,
  createTokenProvider,
  resolveAdapterOptions,
  type SignerOptions,
  signerOptionsFromEnv,
} from '@asap-auth/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { generateKeys } from '../../../test/helpers/keys.js'
import { SIGNER_OPTION_NAMES } from '../src/signer.js'
import {
  SIGNER_AND_PROVIDER_OPTION_NAMES,
  TOKEN_PROVIDER_OPTION_NAMES,
} from '../src/token-provider.js'
import { expectAsapError, fixedClock, thrownBy } from './support.js'

const rsa = generateKeys('RS256')

const SIGNER_NAMES =
  'issuer, keyId, privateKey, algorithm, subject, audience, expiresIn, backdate, additionalClaims, clock'
const PROVIDER_NAMES = 'cache, max, refreshMargin, refreshAhead, clock'
const MERGED_NAMES = `${SIGNER_NAMES}, cache, max, refreshMargin, refreshAhead`

function signerOptions(): SignerOptions {
  return { issuer: 'billing', keyId: 'billing/key-1', privateKey: rsa.pkcs8Pem, clock: fixedClock }
}

/** Calls `action`, expects an AsapInvalidOptionError for `field`, and returns its message. */
function unknownOptionMessage(action: () => unknown, field: string): string {
  const error = thrownBy(action)
  expectAsapError(error, { type: AsapInvalidOptionError, field, keys: [rsa] })
  expect((error as AsapInvalidOptionError).code).toBe('ERR_ASAP_OPTION_INVALID')
  return (error as Error).message
}

describe('createSigner option names', () => {
  it('rejects a name that differs in case', () => {
    const message = unknownOptionMessage(
      () => createSigner({ ...signerOptions(), expiresin: 60 } as SignerOptions),
      'expiresin',
    )

    expect(message).toBe(
      `"expiresin" is not an option of createSigner. Did you mean "expiresIn"? Known options: ${SIGNER_NAMES}.`,
    )
  })

  it('rejects a misspelled required option first', () => {
    const { issuer, ...rest } = signerOptions()
    const message = unknownOptionMessage(
      () => createSigner({ ...rest, isuer: issuer } as unknown as SignerOptions),
      'isuer',
    )

    expect(message).toBe(
      `"isuer" is not an option of createSigner. Did you mean "issuer"? Known options: ${SIGNER_NAMES}.`,
    )
  })

  it('gives no hint for an unrelated name', () => {
    const message = unknownOptionMessage(
      () => createSigner({ ...signerOptions(), lifetime: 60 } as SignerOptions),
      'lifetime',
    )

    expect(message).toBe(
      `"lifetime" is not an option of createSigner. Known options: ${SIGNER_NAMES}.`,
    )
  })

  it('names every unknown option', () => {
    const options = { ...signerOptions(), backdat: 1, lifetime: 60, Audience: 'x' }
    const message = unknownOptionMessage(() => createSigner(options as SignerOptions), 'backdat')

    expect(message).toBe(
      `"backdat", "lifetime" and "Audience" are not options of createSigner. Did you mean "backdate" for "backdat", "audience" for "Audience"? Known options: ${SIGNER_NAMES}.`,
    )
  })

  it('rejects a provider option', () => {
    const message = unknownOptionMessage(
      () => createSigner({ ...signerOptions(), cache: false } as SignerOptions),
      'cache',
    )

    expect(message).toBe(
      `"cache" is not an option of createSigner. Known options: ${SIGNER_NAMES}.`,
    )
  })

  it('rejects an unknown name whose value is undefined', () => {
    unknownOptionMessage(
      () => createSigner({ ...signerOptions(), subjet: undefined } as SignerOptions),
      'subjet',
    )
  })

  it('accepts the options from signerOptionsFromEnv', () => {
    const options = signerOptionsFromEnv({
      ASAP_ISSUER: 'billing',
      ASAP_KEY_ID: 'billing/key-1',
      ASAP_PRIVATE_KEY: rsa.pkcs8Pem,
      ASAP_AUDIENCE: 'invoices',
      ASAP_SUBJECT: 'user-1',
      ASAP_EXPIRES_IN: '600',
    })

    expect(createSigner(options).keyId).toBe('billing/key-1')
  })
})

describe('createTokenProvider option names', () => {
  it('accepts signer and provider options in one object', async () => {
    const provider = createTokenProvider({ ...signerOptions(), cache: false, max: 5 })

    const first = await provider.getToken('invoices')
    const second = await provider.getToken('invoices')

    expect(first).not.toBe(second)
    expect(provider.stats().signed).toBe(2)
  })

  it('accepts the options from signerOptionsFromEnv', async () => {
    const options = signerOptionsFromEnv({
      ASAP_ISSUER: 'billing',
      ASAP_KEY_ID: 'billing/key-1',
      ASAP_PRIVATE_KEY: rsa.pkcs8Pem,
      ASAP_AUDIENCE: 'invoices,ledger',
    })
    const provider = createTokenProvider({ ...options, refreshAhead: 10 })

    expect(typeof (await provider.getToken())).toBe('string')
  })

  it('rejects a misspelled provider option in the merged object', () => {
    const options = { ...signerOptions(), chache: false }
    const message = unknownOptionMessage(() => createTokenProvider(options), 'chache')

    expect(message).toBe(
      `"chache" is not an option of createTokenProvider. Did you mean "cache"? Known options: ${MERGED_NAMES}.`,
    )
  })

  it('rejects a misspelled signer option in the merged object', () => {
    const options = { ...signerOptions(), expiresin: 60 }
    const message = unknownOptionMessage(() => createTokenProvider(options), 'expiresin')

    expect(message).toBe(
      `"expiresin" is not an option of createTokenProvider. Did you mean "expiresIn"? Known options: ${MERGED_NAMES}.`,
    )
  })

  it('rejects a signer option in the second argument', () => {
    const signer = createSigner(signerOptions())
    const message = unknownOptionMessage(
      () => createTokenProvider(signer, { expiresIn: 60 } as never),
      'expiresIn',
    )

    expect(message).toBe(
      `"expiresIn" is not an option of the second argument of createTokenProvider. Known options: ${PROVIDER_NAMES}.`,
    )
  })

  it('rejects a misspelled option in the second argument', () => {
    const message = unknownOptionMessage(
      () => createTokenProvider(signerOptions(), { refreshMargn: 10 } as never),
      'refreshMargn',
    )

    expect(message).toBe(
      `"refreshMargn" is not an option of the second argument of createTokenProvider. Did you mean "refreshMargin"? Known options: ${PROVIDER_NAMES}.`,
    )
  })
})

describe('resolveAdapterOptions option names', () => {
  const audience = { 'https://invoices.internal': 'invoices' }

  it('rejects an unknown adapter option', () => {
    const options = { provider: signerOptions(), audience, replaceAuthorisation: true }
    const message = unknownOptionMessage(
      () => resolveAdapterOptions(options as never),
      'replaceAuthorisation',
    )

    expect(message).toBe(
      '"replaceAuthorisation" is not an option of the ASAP adapter. Did you mean "replaceAuthorization"? Known options: provider, audience, replaceAuthorization.',
    )
  })

  it('names the adapter and its own options', () => {
    const options = { provider: signerOptions(), audience, retry: false }
    const adapter = { name: 'myAdapter', options: ['retryOnUnauthorized'] }
    const message = unknownOptionMessage(
      () => resolveAdapterOptions(options as never, undefined, adapter),
      'retry',
    )

    expect(message).toBe(
      '"retry" is not an option of myAdapter. Known options: provider, audience, replaceAuthorization, retryOnUnauthorized.',
    )
  })

  it('accepts the adapter options it is told of', () => {
    const options = { provider: signerOptions(), audience, retryOnUnauthorized: false }
    const adapter = { name: 'myAdapter', options: ['retryOnUnauthorized'] }

    expect(resolveAdapterOptions(options as never, undefined, adapter).replaceAuthorization).toBe(
      false,
    )
  })

  it('rejects a misspelled option in signer options given as provider', () => {
    const provider = { ...signerOptions(), expiresin: 60 }
    const message = unknownOptionMessage(
      () => resolveAdapterOptions({ provider, audience }),
      'provider.expiresin',
    )

    expect(message).toBe(
      `"expiresin" is not an option of provider (signer and token provider options). Did you mean "expiresIn"? Known options: ${MERGED_NAMES}.`,
    )
  })

  it('accepts signer and provider options given as provider', async () => {
    const provider = { ...signerOptions(), cache: false }
    const resolved = resolveAdapterOptions({ provider, audience })

    await resolved.provider.getToken('invoices')
    await resolved.provider.getToken('invoices')

    expect(resolved.provider.stats().signed).toBe(2)
  })

  it('accepts a signer given as provider', async () => {
    const signer = createSigner(signerOptions())
    const resolved = resolveAdapterOptions({ provider: signer as never, audience })

    expect(resolved.provider.signer).toBe(signer)
  })
})

describe('option name hints', () => {
  const knownNames = SIGNER_AND_PROVIDER_OPTION_NAMES

  it('lists the names of every option interface', () => {
    expect(SIGNER_OPTION_NAMES.join(', ')).toBe(SIGNER_NAMES)
    expect(TOKEN_PROVIDER_OPTION_NAMES.join(', ')).toBe(PROVIDER_NAMES)
    expect(SIGNER_AND_PROVIDER_OPTION_NAMES.join(', ')).toBe(MERGED_NAMES)
  })

  /** Returns the message of the error for `name`, which must not be a known option. */
  function messageFor(name: string): string {
    const error = thrownBy(() => assertKnownOptions({ [name]: 1 }, knownNames, 'test'))
    expect(error).toBeInstanceOf(AsapInvalidOptionError)
    expect((error as AsapInvalidOptionError).field).toBe(name)
    return (error as Error).message
  }

  it('suggest the option for any change of case', () => {
    const changedCase = fc
      .tuple(fc.constantFrom(...knownNames), fc.array(fc.boolean(), { minLength: 20 }))
      .map(([name, flips]) => ({
        name,
        variant: [...name]
          .map((character, index) =>
            flips[index] ? character.toUpperCase() : character.toLowerCase(),
          )
          .join(''),
      }))
      .filter(({ name, variant }) => variant !== name)

    fc.assert(
      fc.property(changedCase, ({ name, variant }) => {
        expect(messageFor(variant)).toContain(`Did you mean ${JSON.stringify(name)}?`)
      }),
    )
  })

  it('suggest the option for one inserted, deleted, replaced or swapped letter', () => {
    const edit = fc
      .tuple(
        fc.constantFrom(...knownNames),
        fc.constantFrom('insert', 'delete', 'replace', 'swap'),
        fc.nat(),
        fc.constantFrom(...'abcxyzQ_'.split('')),
      )
      .map(([name, kind, position, letter]) => {
        const at = position % name.length
        const before = name.slice(0, at)
        const variants: Record<string, string> = {
          insert: before + letter + name.slice(at),
          delete: before + name.slice(at + 1),
          replace: before + letter + name.slice(at + 1),
          swap: before + (name[at + 1] ?? '') + name[at] + name.slice(at + 2),
        }
        return { name, variant: variants[kind]! }
      })
      .filter(({ variant }) => variant !== '' && !knownNames.includes(variant))

    fc.assert(
      fc.property(edit, ({ name, variant }) => {
        expect(messageFor(variant)).toContain(`Did you mean ${JSON.stringify(name)}?`)
      }),
      { numRuns: 500 },
    )
  })

  it('give no hint for a name far from every option', () => {
    for (const name of ['kid', 'ttl', 'lifetime', 'privateKeyPem', 'signer']) {
      expect(messageFor(name), name).not.toContain('Did you mean')
    }
  })

  it('ignore values that are not objects', () => {
    expect(() => assertKnownOptions(undefined, knownNames, 'test')).not.toThrow()
    expect(() => assertKnownOptions('issuer', knownNames, 'test')).not.toThrow()
  })
})

describe('adapter options given in the wrong place', () => {
  it('signer options at the top level point to provider', () => {
    const call = () =>
      resolveAdapterOptions(
        { issuer: 'billing', privateKey: 'x', audience: {} } as never,
        undefined,
        { name: 'asap', options: [] },
      )

    expect(call).toThrow(AsapInvalidOptionError)
    expect(call).toThrow(
      expect.objectContaining({ code: 'ERR_ASAP_OPTION_INVALID', field: 'issuer' }),
    )
    expect(call).toThrow(/"issuer", "privateKey" are signer options, not an option of asap/)
    expect(call).toThrow(/Put signer options under provider/)
  })

  it('a string provider names the provider field', () => {
    const call = () =>
      resolveAdapterOptions({
        provider: 'data:application/pkcs8;base64,AAAA',
        audience: {},
      } as never)

    expect(call).toThrow(
      expect.objectContaining({ code: 'ERR_ASAP_OPTION_INVALID', field: 'provider' }),
    )
    expect(call).toThrow(/Invalid provider \(string\)/)
    expect(call).not.toThrow(/AAAA/)
  })
})
