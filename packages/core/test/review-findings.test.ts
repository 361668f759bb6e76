import { generateKeyPairSync } from 'node:crypto'
import {
  AsapInvalidClaimsError,
  AsapInvalidKeyError,
  createSigner,
  createTokenProvider,
  loadPrivateKey,
} from '@asap-auth/core'
import { decodeJwt } from 'jose'
import { describe, expect, it } from 'vitest'

const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const now = Date.UTC(2026, 11, 4, 12, 0, 0)
const nowSeconds = now / 1000
const clock = { now: () => now }
const options = {
  issuer: 'billing',
  keyId: 'billing/key-1',
  privateKey,
  algorithm: 'ES256' as const,
  clock,
}

describe('per-call time claims', () => {
  it.each([
    ['an exp in the past', { iat: nowSeconds - 200, exp: nowSeconds - 100 }, 'exp'],
    ['an exp equal to now', { iat: nowSeconds - 200, exp: nowSeconds }, 'exp'],
    ['an nbf in the future', { nbf: nowSeconds + 3000 }, 'nbf'],
  ])('rejects %s', async (_name, claims, field) => {
    const signer = createSigner(options)

    const signing = signer.sign('invoices', { claims })

    await expect(signing).rejects.toBeInstanceOf(AsapInvalidClaimsError)
    await expect(signing).rejects.toMatchObject({ code: 'ERR_ASAP_CLAIMS_INVALID', field })
  })

  it('accepts an exp one second ahead', async () => {
    const signer = createSigner(options)

    const token = await signer.sign('invoices', { claims: { exp: nowSeconds + 1 } })

    expect(decodeJwt(token).exp).toBe(nowSeconds + 1)
  })

  it('never lets the provider hand out an expired token', async () => {
    const provider = createTokenProvider(options)

    const getting = provider.getToken('invoices', {
      claims: { iat: nowSeconds - 200, exp: nowSeconds - 100 },
    })

    await expect(getting).rejects.toMatchObject({ code: 'ERR_ASAP_CLAIMS_INVALID', field: 'exp' })
    expect(provider.stats()).toMatchObject({ signed: 0, failed: 1, cached: 0 })
  })
})

describe('private key input length', () => {
  it('rejects key text over 64 KiB before parsing it', () => {
    const text = `-----BEGIN PRIVATE KEY-----\n${'-----BEGIN '.repeat(7000)}`

    expect(() => loadPrivateKey(text)).toThrow(AsapInvalidKeyError)
    expect(() => loadPrivateKey(text)).toThrow(/more than the 65536 a private key can take/)
  })

  it('rejects key bytes over 64 KiB', () => {
    expect(() => loadPrivateKey(new Uint8Array(70_000))).toThrow(
      expect.objectContaining({ code: 'ERR_ASAP_KEY_INVALID', field: 'privateKey' }),
    )
  })
})
