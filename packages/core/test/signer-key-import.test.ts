import * as crypto from 'node:crypto'
import { createSigner, type PrivateKeyInput } from '@asap-auth/core'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { generateKeys } from '../../../test/helpers/keys.js'
import { verifyWithBoth } from './support.js'

// Every function of node:crypto that parses or converts a key, and `sign`, is wrapped in a spy,
// so the test can count what the signer calls at creation and per token.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>()
  return {
    ...actual,
    createPrivateKey: vi.fn(actual.createPrivateKey),
    createPublicKey: vi.fn(actual.createPublicKey),
    sign: vi.fn(actual.sign),
  }
})

const TOKENS = 500

function importCalls(): number {
  return (
    vi.mocked(crypto.createPrivateKey).mock.calls.length +
    vi.mocked(crypto.createPublicKey).mock.calls.length +
    vi.mocked(crypto.KeyObject.from).mock.calls.length
  )
}

describe('key import', () => {
  beforeEach(() => {
    vi.restoreAllMocks()
    vi.spyOn(crypto.KeyObject, 'from')
    vi.mocked(crypto.createPrivateKey).mockClear()
    vi.mocked(crypto.createPublicKey).mockClear()
    vi.mocked(crypto.sign).mockClear()
  })

  it.each([
    ['PKCS#8 PEM', (keys: ReturnType<typeof generateKeys>) => keys.pkcs8Pem],
    ['data URI', (keys: ReturnType<typeof generateKeys>) => keys.dataUri('billing/key-1')],
    ['JWK', (keys: ReturnType<typeof generateKeys>) => keys.jwk as PrivateKeyInput],
  ])('imports a %s key once, at creation', async (_name, make) => {
    const keys = generateKeys('ES256')
    const privateKey = make(keys)

    // `export` is defined on the private key class, which node:crypto does not export by name.
    const exportSpy = vi.spyOn(Object.getPrototypeOf(keys.privateKey), 'export')
    const signer = createSigner({
      issuer: 'billing',
      keyId: 'billing/key-1',
      privateKey,
      algorithm: 'ES256',
    })
    // One parse of the key, one public key derived for the test signature.
    expect(vi.mocked(crypto.createPrivateKey).mock.calls.length).toBe(1)
    expect(vi.mocked(crypto.createPublicKey).mock.calls.length).toBe(1)
    expect(vi.mocked(crypto.sign).mock.calls.length).toBe(1)
    const afterCreation = importCalls()

    const tokens = await Promise.all(Array.from({ length: TOKENS }, () => signer.sign('invoices')))

    expect(importCalls()).toBe(afterCreation)
    // The signer turns the KeyObject into a WebCrypto key once, at creation, by exporting it as
    // a JWK for jose's importJWK, and signs every token with that one key.
    expect(exportSpy).toHaveBeenCalledTimes(1)
    expect(exportSpy).toHaveBeenCalledWith({ format: 'jwk' })
    expect(vi.mocked(crypto.sign).mock.calls.length).toBe(1)
    await verifyWithBoth(tokens[TOKENS - 1]!, keys, Math.floor(Date.now() / 1000))
  })

  it('imports a KeyObject without parsing', async () => {
    const keys = generateKeys('RS256')
    const signer = createSigner({
      issuer: 'billing',
      keyId: 'billing/key-1',
      privateKey: keys.privateKey,
    })
    expect(vi.mocked(crypto.createPrivateKey).mock.calls.length).toBe(0)

    for (let index = 0; index < 50; index++) {
      await signer.sign('invoices')
    }
    expect(vi.mocked(crypto.createPrivateKey).mock.calls.length).toBe(0)
    expect(vi.mocked(crypto.createPublicKey).mock.calls.length).toBe(1)
  })
})
