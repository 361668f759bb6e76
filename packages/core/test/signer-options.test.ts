import { createSecretKey, generateKeyPairSync } from 'node:crypto'
import {
  type AsapAlgorithm,
  AsapInvalidAudienceError,
  AsapInvalidClaimsError,
  AsapInvalidKeyError,
  AsapInvalidKeyIdError,
  AsapInvalidOptionError,
  AsapKeyAlgorithmMismatchError,
  AsapKeyIdConflictError,
  AsapKeyIdNotOwnedError,
  AsapKeyNotPrivateError,
  AsapKeyTooSmallError,
  AsapMissingOptionError,
  AsapUnsupportedAlgorithmError,
  AsapUnsupportedKeyFormatError,
  createSigner,
  type PrivateKeyInput,
  type SignerOptions,
} from '@asap-auth/core'
import { decodeProtectedHeader } from 'jose'
import { describe, expect, it } from 'vitest'
import {
  describeKeyPair,
  generateKeys,
  generateRsaKeys,
  type TestKeys,
} from '../../../test/helpers/keys.js'
import { type ExpectedError, expectAsapError, fixedClock, NOW, thrownBy } from './support.js'

const rsa = generateKeys('RS256')
const p256 = generateKeys('ES256')
const p384 = generateKeys('ES384')
const allKeys = [rsa, p256, p384]

function options(overrides: Partial<SignerOptions> = {}): SignerOptions {
  return {
    issuer: 'billing',
    keyId: 'billing/key-1',
    privateKey: rsa.pkcs8Pem,
    clock: fixedClock,
    ...overrides,
  }
}

function expectCreationError(overrides: Partial<SignerOptions>, expected: ExpectedError): void {
  const error = thrownBy(() => createSigner(options(overrides)))
  expectAsapError(error, { keys: allKeys, ...expected })
}

describe('required options', () => {
  it('rejects a missing issuer', () => {
    expectCreationError(
      { issuer: undefined as unknown as string },
      { type: AsapMissingOptionError, field: 'issuer' },
    )
  })

  it('rejects an empty issuer', () => {
    expectCreationError({ issuer: '' }, { type: AsapMissingOptionError, field: 'issuer' })
  })

  it('rejects an issuer that is not a string', () => {
    expectCreationError(
      { issuer: 42 as unknown as string },
      { type: AsapInvalidOptionError, field: 'issuer' },
    )
  })

  it('rejects a missing key ID', () => {
    expectCreationError({ keyId: undefined }, { type: AsapMissingOptionError, field: 'keyId' })
  })

  it('rejects an empty key ID', () => {
    expectCreationError({ keyId: '' }, { type: AsapMissingOptionError, field: 'keyId' })
  })

  it('rejects a data URI without kid and no key ID', () => {
    const uri = rsa.dataUri('billing/key-1').replace(/;kid=[^;]+/, '')
    expectCreationError(
      { keyId: undefined, privateKey: uri },
      { type: AsapMissingOptionError, field: 'keyId' },
    )
  })

  it('rejects a missing private key', () => {
    expectCreationError(
      { privateKey: undefined as unknown as string },
      { type: AsapMissingOptionError, field: 'privateKey' },
    )
  })

  it('rejects an empty private key', () => {
    expectCreationError({ privateKey: '' }, { type: AsapMissingOptionError, field: 'privateKey' })
  })

  it('rejects a private key of quotes and blanks', () => {
    expectCreationError(
      { privateKey: '  "" \n' },
      { type: AsapMissingOptionError, field: 'privateKey' },
    )
  })

  it('rejects options that are not an object', () => {
    const error = thrownBy(() => createSigner(null as unknown as SignerOptions))
    expectAsapError(error, { type: AsapInvalidOptionError, field: 'options' })
  })
})

describe('key ID examples from the protocol', () => {
  it.each([
    ['billing', 'billing/key1'],
    ['billing', 'billing/2024-06-01.pem'],
    ['team.svc', 'team.svc/a+b/k_1'],
  ])('accepts %s key ID %s', async (issuer, keyId) => {
    const signer = createSigner(options({ issuer, keyId }))
    expect(decodeProtectedHeader(await signer.sign('invoices')).kid).toBe(keyId)
  })

  it.each([
    '../billing',
    '/billing/k',
    'billing//k',
    'billing/./k',
    'billing/k..1',
    'billing/k?x',
    'billing/k;',
    'billing/k 1',
    'ä/k',
  ])('rejects key ID %j', (keyId) => {
    expectCreationError(
      { keyId },
      { type: AsapInvalidKeyIdError, field: 'keyId', message: JSON.stringify(keyId) },
    )
  })

  it('rejects key ID other/k1 for issuer billing', () => {
    expectCreationError(
      { keyId: 'other/k1' },
      { type: AsapKeyIdNotOwnedError, field: 'keyId', message: '"billing/"' },
    )
  })

  it('rejects a key ID equal to the issuer', () => {
    expectCreationError({ keyId: 'billing' }, { type: AsapKeyIdNotOwnedError, field: 'keyId' })
  })

  it('rejects a key ID not owned by the issuer from the claims', () => {
    expectCreationError(
      { additionalClaims: { iss: 'ledger' } },
      { type: AsapKeyIdNotOwnedError, field: 'keyId' },
    )
  })

  it('rejects an invalid key ID in a data URI', () => {
    expectCreationError(
      { keyId: undefined, privateKey: rsa.dataUri('billing/../key') },
      { type: AsapInvalidKeyIdError, field: 'privateKey.kid' },
    )
  })

  it('rejects a data-URI key ID of another issuer', () => {
    expectCreationError(
      { keyId: undefined, privateKey: rsa.dataUri('ledger/key-1') },
      { type: AsapKeyIdNotOwnedError, field: 'privateKey.kid' },
    )
  })

  it('rejects a data-URI key ID that differs from keyId', () => {
    expectCreationError(
      { keyId: 'billing/key-1', privateKey: rsa.dataUri('billing/key-2') },
      { type: AsapKeyIdConflictError, field: 'keyId' },
    )
  })

  it('accepts a data-URI key ID equal to keyId', () => {
    const signer = createSigner(options({ privateKey: rsa.dataUri('billing/key-1') }))
    expect(signer.keyId).toBe('billing/key-1')
  })
})

describe('algorithm option', () => {
  it.each(['HS256', 'none', 'EdDSA', 'rs256', 'RS1', 'ES256K', ''])('rejects %j', (name) => {
    expectCreationError(
      { algorithm: name as AsapAlgorithm },
      { type: AsapUnsupportedAlgorithmError, field: 'algorithm' },
    )
  })

  it('names the upper-case algorithm for rs256', () => {
    const error = thrownBy(() => createSigner(options({ algorithm: 'rs256' as AsapAlgorithm })))
    expect((error as Error).message).toContain('use "RS256"')
  })

  it('rejects an algorithm that is not a string', () => {
    expectCreationError(
      { algorithm: 256 as unknown as AsapAlgorithm },
      { type: AsapUnsupportedAlgorithmError, field: 'algorithm' },
    )
  })
})

describe('key and algorithm', () => {
  const ed25519 = generateKeyPairSync('ed25519')

  it.each([
    ['an RSA key with ES256', rsa.pkcs8Pem, 'ES256'],
    ['an RSA key with ES512', rsa.privateKey, 'ES512'],
    ['a P-384 key with ES256', p384.pkcs8Pem, 'ES256'],
    ['a P-256 key with ES384', p256.sec1Pem, 'ES384'],
    ['an EC key with PS256', p256.pkcs8Pem, 'PS256'],
    ['an EC key with RS256', p256.jwk, 'RS256'],
    ['an Ed25519 key with RS256', ed25519.privateKey, 'RS256'],
    [
      'an Ed25519 PEM with ES256',
      ed25519.privateKey.export({ type: 'pkcs8', format: 'pem' }),
      'ES256',
    ],
  ])('rejects %s', (_name, privateKey, algorithm) => {
    expectCreationError(
      { privateKey: privateKey as PrivateKeyInput, algorithm: algorithm as AsapAlgorithm },
      { type: AsapKeyAlgorithmMismatchError, field: 'privateKey' },
    )
  })

  it('names the algorithm that fits the key', () => {
    const error = thrownBy(() => createSigner(options({ privateKey: p384.pkcs8Pem })))
    expect((error as Error).message).toContain('Set algorithm to ES384')
  })

  it('rejects an RSA-PSS key restricted to another digest', () => {
    const pss = generateKeyPairSync('rsa-pss', {
      modulusLength: 2048,
      hashAlgorithm: 'sha256',
      mgf1HashAlgorithm: 'sha256',
    })
    expectCreationError(
      { privateKey: pss.privateKey, algorithm: 'PS384' },
      { type: AsapKeyAlgorithmMismatchError, field: 'privateKey' },
    )
  })

  it('signs with an RSA-PSS key of the right digest', async () => {
    const pss = generateKeyPairSync('rsa-pss', {
      modulusLength: 2048,
      hashAlgorithm: 'sha256',
      mgf1HashAlgorithm: 'sha256',
    })
    const signer = createSigner(options({ privateKey: pss.privateKey, algorithm: 'PS256' }))
    expect(decodeProtectedHeader(await signer.sign('invoices')).alg).toBe('PS256')
  })

  it.each(['RS256', 'PS512'] as const)('rejects a 1024-bit RSA key with %s', (algorithm) => {
    const small = generateRsaKeys(1024, algorithm)
    for (const privateKey of [small.pkcs8Pem, small.privateKey, small.jwk]) {
      expectCreationError(
        { privateKey: privateKey as PrivateKeyInput, algorithm },
        { type: AsapKeyTooSmallError, field: 'privateKey', keys: [small], message: '1024-bit' },
      )
    }
  })

  it('rejects a JWK whose private and public parts differ', () => {
    const other = generateKeys('ES256', 'other')
    const mixed = { ...p256.jwk, x: other.jwk.x, y: other.jwk.y }
    const error = thrownBy(() =>
      createSigner(options({ privateKey: mixed as PrivateKeyInput, algorithm: 'ES256' })),
    )
    // OpenSSL rejects the mismatched point when it imports the JWK, or the test signature fails.
    expectAsapError(error, { type: AsapInvalidKeyError, field: 'privateKey', keys: [p256, other] })
  })
})

/** Wraps a DER body as PEM under `label`. */
function pem(label: string, body: string, headers = ''): string {
  const lines = body.match(/.{1,64}/g)!.join('\n')
  return `-----BEGIN ${label}-----\n${headers}${lines}\n-----END ${label}-----\n`
}

describe('keys that are not private', () => {
  const cases: [string, (keys: TestKeys) => PrivateKeyInput][] = [
    ['a public PEM', (keys) => keys.spkiPem],
    [
      'a PKCS#1 public PEM',
      (keys) => String(keys.publicKey.export({ type: 'pkcs1', format: 'pem' })),
    ],
    ['a public JWK', (keys) => keys.publicJwk as PrivateKeyInput],
    ['a public JWK string', (keys) => JSON.stringify(keys.publicJwk)],
    ['a public KeyObject', (keys) => keys.publicKey],
    ['SPKI DER bytes', (keys) => keys.spkiDer],
    ['Base64 SPKI DER', (keys) => keys.spkiDer.toString('base64')],
    // The label decides: the body is any DER, as a certificate contains public data only.
    ['a certificate PEM', (keys) => pem('CERTIFICATE', keys.spkiDer.toString('base64'))],
    ['an OpenSSH public key', () => 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ user@host'],
  ]

  it.each(cases)('rejects %s', (_name, make) => {
    expectCreationError(
      { privateKey: make(rsa) },
      { type: AsapKeyNotPrivateError, field: 'privateKey' },
    )
  })

  it('rejects an oct JWK', () => {
    expectCreationError(
      { privateKey: { kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQ' } },
      { type: AsapKeyNotPrivateError, field: 'privateKey' },
    )
  })

  it('rejects a secret KeyObject', () => {
    expectCreationError(
      { privateKey: createSecretKey(Buffer.alloc(32, 7)) },
      { type: AsapKeyNotPrivateError, field: 'privateKey' },
    )
  })
})

const DECRYPT_COMMAND = 'openssl pkcs8 -topk8 -nocrypt -in encrypted-key.pem -out private-key.pem'

describe('key formats that need converting', () => {
  const passphrase = 'correct horse'

  it('rejects an encrypted PKCS#8 PEM', () => {
    const encrypted = rsa.privateKey.export({
      type: 'pkcs8',
      format: 'pem',
      cipher: 'aes-256-cbc',
      passphrase,
    })
    expectCreationError(
      { privateKey: String(encrypted) },
      {
        type: AsapUnsupportedKeyFormatError,
        field: 'privateKey',
        message: `BEGIN ENCRYPTED PRIVATE KEY`,
      },
    )
    const error = thrownBy(() => createSigner(options({ privateKey: String(encrypted) })))
    expect((error as Error).message).toContain(DECRYPT_COMMAND)
  })

  it('rejects a legacy encrypted RSA PEM', () => {
    const encrypted = String(
      rsa.privateKey.export({ type: 'pkcs1', format: 'pem', cipher: 'aes-256-cbc', passphrase }),
    )
    expect(encrypted).toContain('Proc-Type: 4,ENCRYPTED')
    expectCreationError(
      { privateKey: encrypted },
      {
        type: AsapUnsupportedKeyFormatError,
        field: 'privateKey',
        message: 'Proc-Type: 4,ENCRYPTED',
      },
    )
    const error = thrownBy(() => createSigner(options({ privateKey: encrypted })))
    expect((error as Error).message).toContain(DECRYPT_COMMAND)
  })

  it('rejects a legacy encrypted EC PEM', () => {
    const encrypted = String(
      p256.privateKey.export({ type: 'sec1', format: 'pem', cipher: 'aes-128-cbc', passphrase }),
    )
    expectCreationError(
      { privateKey: encrypted, algorithm: 'ES256' },
      { type: AsapUnsupportedKeyFormatError, field: 'privateKey', message: 'BEGIN EC PRIVATE KEY' },
    )
  })

  it('rejects encrypted PKCS#8 DER', () => {
    const encrypted = rsa.privateKey.export({
      type: 'pkcs8',
      format: 'der',
      cipher: 'aes-256-cbc',
      passphrase,
    })
    expectCreationError(
      { privateKey: encrypted },
      { type: AsapUnsupportedKeyFormatError, field: 'privateKey', message: DECRYPT_COMMAND },
    )
  })

  it('rejects an OpenSSH private key', () => {
    // The body only has to start like an OpenSSH key: the signer rejects it by its label.
    const body = Buffer.concat([Buffer.from('openssh-key-v1\0'), Buffer.alloc(200, 1)])
    const openssh = pem('OPENSSH PRIVATE KEY', body.toString('base64'))
    const error = thrownBy(() => createSigner(options({ privateKey: openssh })))
    expectAsapError(error, {
      type: AsapUnsupportedKeyFormatError,
      field: 'privateKey',
      message: 'BEGIN OPENSSH PRIVATE KEY',
    })
    expect((error as Error).message).toContain('ssh-keygen -p -m PKCS8 -N "" -f <key file>')
    expect((error as Error).message).not.toContain(body.toString('base64').slice(0, 16))
  })
})

describe('unreadable keys', () => {
  const body = rsa.pkcs8DerBase64

  it.each([
    ['text that is no key', 'not a key at all!'],
    ['a file path', '/etc/keys/billing.pem'],
    ['a PEM cut short', pem('PRIVATE KEY', body.slice(0, 400))],
    ['a PEM without END line', `-----BEGIN PRIVATE KEY-----\n${body}\n`],
    [
      'a PEM with the wrong END line',
      `-----BEGIN PRIVATE KEY-----\n${body}\n-----END RSA PRIVATE KEY-----`,
    ],
    [
      'a PEM with a body that is not Base64',
      pem('PRIVATE KEY', `${body.slice(0, 100)}!!${body.slice(100)}`),
    ],
    ['a PEM of two private keys', `${rsa.pkcs8Pem}${generateKeys('RS384').pkcs8Pem}`],
    ['a DSA PEM label', pem('DSA PRIVATE KEY', body)],
    ['Base64 DER cut short', body.slice(0, 600)],
    ['text that starts like JSON', `{"kty":"RSA","d":"${body.slice(0, 40)}`],
    ['a JSON array', '[1,2,3]'],
    ['a data URI of another media type', `data:text/plain;kid=billing%2Fkey-1;base64,${body}`],
    ['a data URI without ;base64', `data:application/pkcs8;kid=billing%2Fkey-1,${body}`],
    ['a data URI without comma', `data:application/pkcs8;kid=billing%2Fkey-1;base64;${body}`],
    ['a data URI with two kid parameters', `data:application/pkcs8;kid=a;kid=b;base64,${body}`],
    [
      'a data URI with a damaged body',
      `data:application/pkcs8;kid=billing%2Fkey-1;base64,${body.slice(0, 500)}`,
    ],
  ])('rejects %s', (_name, privateKey) => {
    expectCreationError({ privateKey }, { type: AsapInvalidKeyError, field: 'privateKey' })
  })

  it('rejects an object without kty', () => {
    expectCreationError(
      { privateKey: { d: rsa.jwk.d } as unknown as PrivateKeyInput },
      { type: AsapInvalidKeyError, field: 'privateKey' },
    )
  })

  it('rejects a JWK with the wrong public exponent', () => {
    // The key imports, but its test signature does not verify with its own public key.
    expectCreationError(
      { privateKey: { ...rsa.jwk, e: 'Aw' } as PrivateKeyInput },
      { type: AsapInvalidKeyError, field: 'privateKey' },
    )
  })

  it('rejects a number', () => {
    expectCreationError(
      { privateKey: 42 as unknown as string },
      { type: AsapInvalidKeyError, field: 'privateKey' },
    )
  })

  it('rejects damaged DER bytes', () => {
    expectCreationError(
      { privateKey: rsa.pkcs8Der.subarray(0, 300) },
      { type: AsapInvalidKeyError, field: 'privateKey' },
    )
  })

  it('rejects a data-URI kid that is not percent-encoding', () => {
    expectCreationError(
      { keyId: undefined, privateKey: `data:application/pkcs8;kid=billing%2Gkey;base64,${body}` },
      { type: AsapInvalidKeyIdError, field: 'privateKey.kid' },
    )
  })

  it('keeps an unreadable key out of the message', () => {
    const secret = 'sEcReT-VaLuE-0123456789-abcdefghij'
    const error = thrownBy(() => createSigner(options({ privateKey: secret })))
    expect((error as Error).message).not.toContain(secret.slice(0, 10))
  })
})

describe('numeric options', () => {
  it.each([0, -1, 3601, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '60'])(
    'rejects expiresIn %s',
    (expiresIn) => {
      expectCreationError(
        { expiresIn: expiresIn as number },
        { type: AsapInvalidOptionError, field: 'expiresIn' },
      )
    },
  )

  it.each([-1, 61, 2.5])('rejects backdate %s', (backdate) => {
    expectCreationError({ backdate }, { type: AsapInvalidOptionError, field: 'backdate' })
  })

  it('rejects a backdate as long as the lifetime', () => {
    expectCreationError(
      { backdate: 30, expiresIn: 30 },
      { type: AsapInvalidOptionError, field: 'backdate' },
    )
  })

  it('rejects a subject that is not a string', () => {
    expectCreationError(
      { subject: 7 as unknown as string },
      { type: AsapInvalidOptionError, field: 'subject' },
    )
  })

  it('rejects a clock without now()', () => {
    expectCreationError(
      { clock: {} as unknown as SignerOptions['clock'] },
      { type: AsapInvalidOptionError, field: 'clock' },
    )
  })

  it('rejects a clock that returns no number', () => {
    expectCreationError(
      { clock: { now: () => Number.NaN } },
      { type: AsapInvalidOptionError, field: 'clock' },
    )
  })

  it('rejects an empty default audience', () => {
    expectCreationError({ audience: '' }, { type: AsapInvalidAudienceError, field: 'audience' })
  })
})

describe('additional claims', () => {
  it.each([
    ['a JSON array string', '[1,2]', 'additionalClaims'],
    ['a JSON string of a string', '"tenant"', 'additionalClaims'],
    ['text that is not JSON', 'tenant=acme', 'additionalClaims'],
    ['a number', 42, 'additionalClaims'],
    ['null', null, 'additionalClaims'],
    ['an array', ['tenant'], 'additionalClaims'],
    ['a Date', new Date(0), 'additionalClaims'],
    ['aud as a number', { aud: 5 }, 'additionalClaims.aud'],
    ['aud as an empty list', { aud: [] }, 'additionalClaims.aud'],
    ['aud with an empty string', { aud: ['a', ''] }, 'additionalClaims.aud'],
    ['iss as a number', { iss: 1 }, 'additionalClaims.iss'],
    ['iss as an empty string', { iss: '' }, 'additionalClaims.iss'],
    ['sub as an object', { sub: { id: 1 } }, 'additionalClaims.sub'],
    ['exp as a string', { exp: 'soon' }, 'additionalClaims.exp'],
    ['exp as a fraction', { exp: NOW + 0.5 }, 'additionalClaims.exp'],
    ['iat as a string', '{"iat":"now"}', 'additionalClaims.iat'],
    ['a jti', { jti: 'fixed' }, 'additionalClaims.jti'],
    ['a BigInt', { count: BigInt(1) }, 'additionalClaims'],
    ['an exp too far ahead', { exp: NOW + 7200 }, 'exp'],
    ['an iat in the future', { iat: NOW + 60 }, 'iat'],
  ])('rejects %s', (_name, additionalClaims, field) => {
    expectCreationError(
      { additionalClaims: additionalClaims as SignerOptions['additionalClaims'] },
      { type: AsapInvalidClaimsError, field },
    )
  })
})

describe('describeKeyPair helper', () => {
  it('exports the traditional PEM of each key type', () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
    const keys = describeKeyPair('ES256', pair.privateKey, pair.publicKey)
    expect(keys.sec1Pem).toContain('BEGIN EC PRIVATE KEY')
    expect(keys.pkcs1Pem).toBeUndefined()
    expect(rsa.pkcs1Pem).toContain('BEGIN RSA PRIVATE KEY')
  })
})
