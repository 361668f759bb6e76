/**
 * Errors for private keys that cannot be used as given. Each message names the form and the fix
 * but contains no key material, and a `cause` is kept only when it is an OpenSSL error, whose
 * message contains no input data.
 *
 * @module
 */

import {
  AsapInvalidKeyError,
  AsapKeyNotPrivateError,
  AsapUnsupportedKeyFormatError,
} from './errors.js'

/** Converts an encrypted PKCS#8 or legacy encrypted PEM into an unencrypted PKCS#8 PEM. */
export const DECRYPT_COMMAND =
  'openssl pkcs8 -topk8 -nocrypt -in encrypted-key.pem -out private-key.pem'
/** Rewrites an OpenSSH private key file in place as an unencrypted PKCS#8 PEM. */
const OPENSSH_COMMAND = 'ssh-keygen -p -m PKCS8 -N "" -f <key file>'
/** The accepted private key forms, for messages. */
export const ACCEPTED_FORMS =
  'a PEM (BEGIN PRIVATE KEY, BEGIN RSA PRIVATE KEY or BEGIN EC PRIVATE KEY), Base64 of PKCS#8 DER, ' +
  'a data:application/pkcs8 URI, a private JWK, or a KeyObject'

/** Keeps OpenSSL errors as a cause. Other errors from `node:crypto` may quote the input. */
function safeCause(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && code.startsWith('ERR_OSSL') ? error : undefined
}

/** Returns the error for a public key, certificate or secret key given as the private key. */
export function notPrivate(field: string, description: string): AsapKeyNotPrivateError {
  return new AsapKeyNotPrivateError(
    `The ${field} is ${description}, but signing needs the private key. ` +
      'Give the private key of the pair, in any accepted form; publish only the public key.',
    { field },
  )
}

/** Returns the error for an encrypted key, with the command that decrypts it. */
export function encryptedKey(field: string, format: string): AsapUnsupportedKeyFormatError {
  return new AsapUnsupportedKeyFormatError(
    `The ${field} is ${format}, and the signer reads unencrypted keys only. ` +
      'Decrypt it once with the following command, which asks for the passphrase, and store ' +
      `private-key.pem as a secret: ${DECRYPT_COMMAND}`,
    { field },
  )
}

/** Returns the error for an OpenSSH private key, with the command that converts it. */
export function opensshKey(field: string): AsapUnsupportedKeyFormatError {
  return new AsapUnsupportedKeyFormatError(
    `The ${field} is an OpenSSH private key (BEGIN OPENSSH PRIVATE KEY), which the signer cannot read. ` +
      'Only its RSA and ECDSA keys can sign ASAP tokens. Convert a copy of the file to unencrypted ' +
      `PKCS#8 PEM with the following command, which rewrites the file in place: ${OPENSSH_COMMAND}`,
    { field },
  )
}

/** The fix for input that is no key at all. */
export const GIVE_ACCEPTED_FORM = `Give ${ACCEPTED_FORMS}. If you passed a file path, pass the file's contents instead.`
/** The fix for a PEM that was copied only in part. */
export const COPY_AGAIN = 'Copy the whole key again, from its BEGIN line to its END line.'
/** The fix for a key whose content is damaged. */
export const EXPORT_AGAIN = 'Export the key again from its source.'

/** Returns the error for input that is not a readable private key: `The <field> <problem>. <fix>` */
export function unreadable(
  field: string,
  problem: string,
  fix: string,
  cause?: unknown,
): AsapInvalidKeyError {
  return new AsapInvalidKeyError(`The ${field} ${problem}. ${fix}`, {
    field,
    cause: safeCause(cause),
  })
}
