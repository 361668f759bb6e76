/**
 * Private keys in DER: PKCS#8, PKCS#1 or SEC1 bytes.
 *
 * @module
 */

import { createPrivateKey, createPublicKey, type KeyObject, X509Certificate } from 'node:crypto'
import { EXPORT_AGAIN, encryptedKey, notPrivate, unreadable } from './key-errors.js'

function succeeds(operation: () => unknown): boolean {
  try {
    operation()
    return true
  } catch {
    return false
  }
}

/**
 * Imports DER bytes: PKCS#8 first, as ASAP tools write it, then PKCS#1 and SEC1. A public key or
 * certificate in DER is reported as such.
 */
export function importDer(der: Buffer, field: string): KeyObject {
  let firstError: unknown
  for (const type of ['pkcs8', 'pkcs1', 'sec1'] as const) {
    try {
      return createPrivateKey({ key: der, format: 'der', type })
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ERR_MISSING_PASSPHRASE') {
        throw encryptedKey(field, 'an encrypted PKCS#8 key in DER')
      }
      firstError ??= error
    }
  }

  if (succeeds(() => createPublicKey({ key: der, format: 'der', type: 'spki' }))) {
    throw notPrivate(field, 'a public key (SPKI DER)')
  }
  if (succeeds(() => new X509Certificate(der))) {
    throw notPrivate(field, 'a certificate (X.509 DER)')
  }
  throw unreadable(
    field,
    'contains DER data that is not a PKCS#8, PKCS#1 or SEC1 private key, or is damaged',
    EXPORT_AGAIN,
    firstError,
  )
}
