import { webcrypto } from 'node:crypto'
import {
  AsapKeyNotPrivateError,
  type LoadedPrivateKey,
  loadPrivateKey,
  type PrivateKeyForm,
} from '@asap-auth/core'
import { describe, expect, it } from 'vitest'
import { generateKeys, type TestKeys } from '../../../test/helpers/keys.js'
import { expectAsapError, rejectionOf } from './support.js'

function expectKey(loaded: LoadedPrivateKey, keys: TestKeys, form: PrivateKeyForm): void {
  expect(loaded.key.equals(keys.privateKey)).toBe(true)
  expect(loaded.form).toBe(form)
}

describe.each(['RS256', 'ES256', 'ES512'] as const)('loadPrivateKey with %s keys', (algorithm) => {
  const keys = generateKeys(algorithm)
  const traditionalForm = keys.keyType === 'rsa' ? 'pkcs1-pem' : 'sec1-pem'

  it('reads a PKCS#8 PEM', () => {
    expectKey(loadPrivateKey(keys.pkcs8Pem), keys, 'pkcs8-pem')
  })

  it('reads a PKCS#1 or SEC1 PEM', () => {
    expectKey(loadPrivateKey(keys.traditionalPem), keys, traditionalForm)
  })

  it('reads standard Base64 DER', () => {
    expectKey(loadPrivateKey(keys.pkcs8DerBase64), keys, 'der-base64')
  })

  it('reads URL-safe Base64 DER', () => {
    expectKey(loadPrivateKey(keys.pkcs8DerBase64Url), keys, 'der-base64')
  })

  it('reads Base64 DER with line breaks and blanks', () => {
    const wrapped = keys.pkcs8DerBase64.replace(/.{1,64}/g, '  $&\r\n\t')
    expectKey(loadPrivateKey(wrapped), keys, 'der-base64')
  })

  it('reads a data URI and its key ID', () => {
    const loaded = loadPrivateKey(keys.dataUri('billing/key-1'))
    expectKey(loaded, keys, 'data-uri')
    expect(loaded.keyId).toBe('billing/key-1')
  })

  it('reads a private JWK object', () => {
    expectKey(loadPrivateKey({ ...keys.jwk } as never), keys, 'jwk')
  })

  it('reads a private JWK string', () => {
    expectKey(loadPrivateKey(JSON.stringify(keys.jwk, null, 2)), keys, 'jwk')
  })

  it('reads a KeyObject', () => {
    const loaded = loadPrivateKey(keys.privateKey)
    expect(loaded.key).toBe(keys.privateKey)
    expect(loaded.form).toBe('key-object')
  })

  it('reads bytes of each text form', () => {
    expectKey(loadPrivateKey(Buffer.from(keys.pkcs8Pem)), keys, 'pkcs8-pem')
    expectKey(loadPrivateKey(Buffer.from(keys.traditionalPem)), keys, traditionalForm)
    expectKey(loadPrivateKey(Buffer.from(keys.pkcs8DerBase64)), keys, 'der-base64')
    expectKey(loadPrivateKey(Buffer.from(keys.dataUri('billing/k'))), keys, 'data-uri')
    expectKey(loadPrivateKey(new TextEncoder().encode(JSON.stringify(keys.jwk))), keys, 'jwk')
  })

  it('reads DER bytes', () => {
    expectKey(loadPrivateKey(keys.pkcs8Der), keys, 'der')
    expectKey(loadPrivateKey(new Uint8Array(keys.pkcs8Der)), keys, 'der')
    const traditional = keys.privateKey.export({
      type: keys.keyType === 'rsa' ? 'pkcs1' : 'sec1',
      format: 'der',
    })
    expectKey(loadPrivateKey(traditional), keys, 'der')
  })

  it('reads DER from a view into a larger buffer', () => {
    const padded = Buffer.concat([Buffer.alloc(7, 0xff), keys.pkcs8Der, Buffer.alloc(5, 0xff)])
    const view = new Uint8Array(padded.buffer, padded.byteOffset + 7, keys.pkcs8Der.length)
    expectKey(loadPrivateKey(view), keys, 'der')
  })

  it('reads Base64 of a whole PEM file', () => {
    expectKey(loadPrivateKey(Buffer.from(keys.pkcs8Pem).toString('base64')), keys, 'pkcs8-pem')
  })

  it('reads a PEM whose line breaks became spaces', () => {
    expectKey(loadPrivateKey(keys.pkcs8Pem.replace(/\n/g, ' ')), keys, 'pkcs8-pem')
  })

  it('reads a PEM with literal \\n sequences in quotes', () => {
    const escaped = `"${keys.traditionalPem.replace(/\n/g, '\\n')}"`
    expectKey(loadPrivateKey(escaped), keys, traditionalForm)
  })

  it('reads a PEM next to a certificate', () => {
    const certificate = `-----BEGIN CERTIFICATE-----\n${keys.spkiDer.toString('base64')}\n-----END CERTIFICATE-----\n`
    expectKey(loadPrivateKey(certificate + keys.pkcs8Pem), keys, 'pkcs8-pem')
  })

  it('reads a private CryptoKey', async () => {
    const parameters =
      keys.keyType === 'rsa'
        ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
        : { name: 'ECDSA', namedCurve: algorithm === 'ES256' ? 'P-256' : 'P-521' }
    const cryptoKey = await webcrypto.subtle.importKey('pkcs8', keys.pkcs8Der, parameters, false, [
      'sign',
    ])
    expectKey(loadPrivateKey(cryptoKey), keys, 'crypto-key')
  })
})

describe('loadPrivateKey details', () => {
  const keys = generateKeys('ES256')

  it('reads a SEC1 PEM after its EC PARAMETERS block', () => {
    // `openssl ecparam -genkey -name prime256v1` writes the curve OID block first.
    const parameters =
      '-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n'
    expectKey(loadPrivateKey(parameters + keys.sec1Pem), keys, 'sec1-pem')
  })

  it.each([
    ['billing%2Fkey-1', 'billing/key-1'],
    ['billing%2fkey-1', 'billing/key-1'],
    ['billing/key-1', 'billing/key-1'],
    ['billing%2Fkey%2B1', 'billing/key+1'],
    ['billing%2Fkey+1', 'billing/key+1'],
    ['team.svc%2Fa+b%2Fk_1', 'team.svc/a+b/k_1'],
  ])('decodes data-URI kid %s as %s', (encoded, keyId) => {
    const uri = `data:application/pkcs8;kid=${encoded};base64,${keys.pkcs8DerBase64}`
    expect(loadPrivateKey(uri).keyId).toBe(keyId)
  })

  it('reads a data URI without kid', () => {
    const loaded = loadPrivateKey(`data:application/pkcs8;base64,${keys.pkcs8DerBase64}`)
    expectKey(loaded, keys, 'data-uri')
    expect(loaded.keyId).toBeUndefined()
  })

  it('reads a data URI with a wrapped URL-safe body', () => {
    const body = keys.pkcs8DerBase64Url.replace(/.{1,64}/g, '$&\n')
    const loaded = loadPrivateKey(`DATA:Application/PKCS8;kid=billing%2Fk;BASE64,${body}`)
    expectKey(loaded, keys, 'data-uri')
    expect(loaded.keyId).toBe('billing/k')
  })

  it('reads a quoted data URI with CRLF', () => {
    const uri = `'${keys.dataUri('billing/k')}'\r\n`
    expectKey(loadPrivateKey(uri), keys, 'data-uri')
  })

  it('reads an RSA data URI', () => {
    const rsa = generateKeys('PS256')
    const loaded = loadPrivateKey(rsa.dataUri('billing/rsa-1'))
    expectKey(loaded, rsa, 'data-uri')
    expect(loaded.key.asymmetricKeyType).toBe('rsa')
  })

  it('names its field in errors', () => {
    const error = (() => {
      try {
        loadPrivateKey(keys.spkiPem, 'ASAP_PRIVATE_KEY')
      } catch (caught) {
        return caught
      }
    })()
    expectAsapError(error, {
      type: AsapKeyNotPrivateError,
      field: 'ASAP_PRIVATE_KEY',
      message: /^The ASAP_PRIVATE_KEY is a public key/,
    })
  })

  it('rejects a public CryptoKey', async () => {
    const pair = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ])
    const error = await rejectionOf(async () => loadPrivateKey(pair.publicKey))
    expectAsapError(error, { type: AsapKeyNotPrivateError, field: 'privateKey' })
  })
})
