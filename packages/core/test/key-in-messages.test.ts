import { createSigner, signerOptionsFromEnv } from '@asap-auth/core'
import { describe, expect, it } from 'vitest'
import { generateKeys } from '../../../test/helpers/keys.js'

const rsa = generateKeys('RS256')
const body = rsa.pkcs8Pem.split('\n')[1]!

function messageOf(call: () => unknown): string {
  try {
    call()
  } catch (error) {
    return String((error as Error).message)
  }
  throw new Error('expected the call to throw')
}

describe('key pasted into the wrong option', () => {
  it.each(['keyId', 'issuer', 'algorithm'])('%s never echoes the key', (option) => {
    const options = {
      issuer: 'billing',
      keyId: 'billing/key-1',
      privateKey: rsa.pkcs8Pem,
      [option]: rsa.pkcs8Pem,
    }

    const message = messageOf(() => createSigner(options as never))

    expect(message).not.toContain(body)
    expect(message).toContain('not shown')
  })

  it.each(['ASAP_KEY_ID', 'ASAP_ISSUER', 'ASAP_ALGORITHM'])('%s never echoes the key', (name) => {
    const env = {
      ASAP_ISSUER: 'billing',
      ASAP_KEY_ID: 'billing/key-1',
      ASAP_AUDIENCE: 'invoices',
      ASAP_PRIVATE_KEY: rsa.pkcs8Pem,
      [name]: rsa.pkcs8Pem,
    }

    const message = messageOf(() => signerOptionsFromEnv(env))

    expect(message).not.toContain(body)
  })
})
