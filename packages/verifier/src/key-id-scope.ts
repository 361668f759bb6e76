/**
 * The check between steps 2 and 3 of verification: with an issuer allow list, only key IDs under
 * an allowed issuer are looked up.
 *
 * @module
 */

import { quote } from './debug.js'
import { AsapVerificationError, ASAP_VERIFICATION_ERROR_CODES as codes } from './errors.js'

/**
 * Returns true when `keyId` starts with `<issuer>/` for one of `allowedIssuers`. Every prefix of
 * the key ID that ends before a `/` is a candidate issuer, so an issuer that itself contains `/`
 * (such as `billing/batch`) matches as well.
 */
function isUnderAllowedIssuer(keyId: string, allowedIssuers: ReadonlySet<string>): boolean {
  for (let slash = keyId.indexOf('/'); slash !== -1; slash = keyId.indexOf('/', slash + 1)) {
    if (allowedIssuers.has(keyId.slice(0, slash))) {
      return true
    }
  }
  return false
}

/**
 * Rejects a key ID that no allowed issuer owns, before its public key is looked up.
 *
 * A token is accepted only when its `kid` starts with `<iss>/` and its `iss` is allowed, so a key
 * ID outside every allowed issuer can never lead to an accepted token. Looking its key up would
 * only let unauthenticated requests choose which URLs the verifier fetches. The token is not
 * verified at this point, so the rejection is a 401 `ERR_ASAP_PUBLIC_KEY_NOT_FOUND` (this verifier
 * has no key for it), not the 403 reserved for a verified token from an issuer that is not allowed.
 *
 * Does nothing when `allowedIssuers` is `undefined`, which accepts every issuer.
 *
 * @throws {AsapVerificationError} `ERR_ASAP_PUBLIC_KEY_NOT_FOUND`, with no repository in
 * `repositories`.
 */
export function checkKeyIdScope(
  keyId: string,
  allowedIssuers: ReadonlySet<string> | undefined,
): void {
  if (allowedIssuers === undefined || isUnderAllowedIssuer(keyId, allowedIssuers)) {
    return
  }
  throw new AsapVerificationError(
    codes.PUBLIC_KEY_NOT_FOUND,
    `Public key ${quote(keyId)} not looked up: the key ID is not under an allowed issuer. This service accepts tokens only from ${quote([...allowedIssuers])}, whose key IDs start with "<issuer>/".`,
    { keyId, field: 'kid' },
  )
}
