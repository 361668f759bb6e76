/**
 * Private keys in PEM text: PKCS#8, PKCS#1 RSA and SEC1 EC, and the PEM forms that must be
 * converted first or are not private keys.
 *
 * @module
 */

import { createPrivateKey } from 'node:crypto'
import {
  COPY_AGAIN,
  encryptedKey,
  GIVE_ACCEPTED_FORM,
  notPrivate,
  opensshKey,
  unreadable,
} from './key-errors.js'
import { decodeBase64Text, type PemBlock, readPemBlocks } from './key-text.js'
import type { LoadedPrivateKey, PrivateKeyForm } from './private-key.js'

type DerType = 'pkcs8' | 'pkcs1' | 'sec1'

const pemLabels: Readonly<Record<string, { type: DerType; form: PrivateKeyForm }>> = {
  'PRIVATE KEY': { type: 'pkcs8', form: 'pkcs8-pem' },
  'RSA PRIVATE KEY': { type: 'pkcs1', form: 'pkcs1-pem' },
  'EC PRIVATE KEY': { type: 'sec1', form: 'sec1-pem' },
}

const publicPemLabels: Readonly<Record<string, string>> = {
  'PUBLIC KEY': 'a public key',
  'RSA PUBLIC KEY': 'an RSA public key',
  CERTIFICATE: 'a certificate',
  'TRUSTED CERTIFICATE': 'a certificate',
  'X509 CERTIFICATE': 'a certificate',
  'CERTIFICATE REQUEST': 'a certificate request',
  'NEW CERTIFICATE REQUEST': 'a certificate request',
}

/** Picks the one private key block, or reports the public key or certificate found instead. */
function selectPrivateBlock(blocks: readonly PemBlock[], field: string): PemBlock {
  const privateBlocks = blocks.filter((block) => block.label.endsWith('PRIVATE KEY'))
  if (privateBlocks.length > 1) {
    throw unreadable(
      field,
      `contains ${privateBlocks.length} private keys`,
      'Give exactly one: the key whose public key is published under the key ID.',
    )
  }
  const [block] = privateBlocks
  if (block !== undefined) {
    return block
  }

  const publicBlock = blocks.find((candidate) => publicPemLabels[candidate.label] !== undefined)
  if (publicBlock !== undefined) {
    throw notPrivate(field, `${publicPemLabels[publicBlock.label]} (BEGIN ${publicBlock.label})`)
  }
  const labels = blocks.map((candidate) => `BEGIN ${candidate.label}`).join(', ')
  throw unreadable(
    field,
    `is PEM text without a private key (found ${labels || 'no complete block'})`,
    GIVE_ACCEPTED_FORM,
  )
}

/**
 * Reads the private key block of PEM text. Other blocks, such as the `EC PARAMETERS` block that
 * `openssl ecparam -genkey` writes or a certificate next to the key, are ignored.
 *
 * @throws {AsapUnsupportedKeyFormatError} for an encrypted or OpenSSH key.
 * @throws {AsapKeyNotPrivateError} for PEM text with a public key or certificate but no private key.
 * @throws {AsapInvalidKeyError} for anything else that is not one readable private key.
 */
export function loadPem(text: string, field: string): LoadedPrivateKey {
  const block = selectPrivateBlock(readPemBlocks(text, field), field)
  if (block.label === 'OPENSSH PRIVATE KEY') {
    throw opensshKey(field)
  }
  if (block.label === 'ENCRYPTED PRIVATE KEY') {
    throw encryptedKey(field, 'an encrypted PKCS#8 PEM (BEGIN ENCRYPTED PRIVATE KEY)')
  }
  if (block.encrypted) {
    throw encryptedKey(field, `an encrypted PEM (BEGIN ${block.label} with Proc-Type: 4,ENCRYPTED)`)
  }

  const format = pemLabels[block.label]
  if (format === undefined) {
    throw unreadable(
      field,
      `is a PEM of type BEGIN ${block.label}, which cannot sign ASAP tokens`,
      'Use an RSA key of 2048 bits or more, or an EC key on P-256, P-384 or P-521.',
    )
  }
  const der = decodeBase64Text(block.body)
  if (der === undefined) {
    throw unreadable(field, `is a PEM (BEGIN ${block.label}) whose body is not Base64`, COPY_AGAIN)
  }
  try {
    return {
      key: createPrivateKey({ key: der, format: 'der', type: format.type }),
      form: format.form,
    }
  } catch (cause) {
    throw unreadable(
      field,
      `is a PEM (BEGIN ${block.label}) whose body is damaged or cut short`,
      COPY_AGAIN,
      cause,
    )
  }
}
