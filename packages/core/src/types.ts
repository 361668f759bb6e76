/**
 * Public types shared by the signer, the token provider and the adapters.
 *
 * @module
 */

import type { KeyObject, webcrypto } from 'node:crypto'

/** The nine ASAP signing algorithms. */
export type AsapAlgorithm =
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'ES512'

/** A source of the current time, in milliseconds since the Unix epoch. */
export interface Clock {
  now(): number
}

/** One audience, or several audiences that one token serves. */
export type Audience = string | readonly string[]

/** A JSON Web Key, as an object. */
export interface PrivateJwk {
  kty: string
  [parameter: string]: unknown
}

/**
 * Every private key form the signer accepts:
 * - a PEM string: PKCS#8 (`BEGIN PRIVATE KEY`), PKCS#1 RSA (`BEGIN RSA PRIVATE KEY`) or SEC1 EC
 *   (`BEGIN EC PRIVATE KEY`);
 * - Base64 of PKCS#8 DER, without PEM armour;
 * - a data URI `data:application/pkcs8;kid=<percent-encoded key ID>;base64,<PKCS#8 DER>`;
 * - a private JWK, as an object or a JSON string;
 * - a `KeyObject` of type `private`, or a WebCrypto `CryptoKey` of type `private`;
 * - a `Buffer` or `Uint8Array` holding any of the text forms, or PKCS#8 DER.
 */
export type PrivateKeyInput = string | PrivateJwk | KeyObject | webcrypto.CryptoKey | Uint8Array

/** Claims of an ASAP token, as they appear in its payload. */
export interface AsapClaims {
  iss: string
  sub?: string
  aud: string | string[]
  iat: number
  nbf?: number
  exp: number
  jti: string
  [claim: string]: unknown
}

/** The protected header of an ASAP token. */
export interface AsapHeader {
  alg: AsapAlgorithm
  kid: string
  typ: 'JWT'
}

/** Per-token settings given to {@link Signer.sign} and to the token provider. */
export interface SignOverrides {
  /** Subject of this token. Defaults to the signer's subject, which defaults to the issuer. */
  subject?: string | undefined
  /** Extra claims for this token. They win over every other claim source. */
  claims?: Readonly<Record<string, unknown>> | undefined
}

/** A token together with what it says, as returned by {@link Signer.issue}. */
export interface IssuedToken {
  /** The compact JWT. Treat it as a secret: never log it. */
  readonly token: string
  /** The token's header. */
  readonly header: AsapHeader
  /** The token's claims. */
  readonly claims: AsapClaims
  /** `exp` in milliseconds since the Unix epoch. */
  readonly expiresAt: number
}

/** Creates ASAP tokens. Create one with `createSigner`. */
export interface Signer {
  /** The issuer (`iss`) of the tokens, after additional claims are applied. */
  readonly issuer: string
  /** The key ID (`kid`) in the token header. */
  readonly keyId: string
  /** The signing algorithm (`alg`). */
  readonly algorithm: AsapAlgorithm
  /** The token lifetime in seconds, `exp` − `iat`. */
  readonly expiresIn: number
  /** The clock the signer reads `iat` from. */
  readonly clock: Clock
  /** The audience used when `sign` is called without one, from the `audience` option. */
  readonly audience: Audience | undefined
  /**
   * Signs a new token for `audience`. Every call returns a new token with a new `jti`.
   *
   * @throws {AsapInvalidAudienceError} when the audience is empty.
   * @throws {AsapInvalidClaimsError} when per-call claims break the ASAP rules.
   * @throws {AsapSigningError} when the cryptographic operation fails.
   */
  sign(audience?: Audience, overrides?: SignOverrides): Promise<string>
  /** Signs a new token like {@link Signer.sign} and also returns its header, claims and expiry. */
  issue(audience?: Audience, overrides?: SignOverrides): Promise<IssuedToken>
}

/** Counters kept by a token provider. */
export interface TokenProviderStats {
  /** Tokens signed, in the foreground and in the background. */
  signed: number
  /** Calls answered with a cached token. */
  reused: number
  /** Tokens signed in the background, ahead of expiry, while the previous one was served. */
  refreshed: number
  /** Signings that failed, in the foreground and in the background. */
  failed: number
  /** Calls that waited for a signing another call had already started. */
  joined: number
  /** Tokens in the cache now, including entries whose signing is in progress. */
  cached: number
}

/** Options of {@link TokenProvider.invalidate}. */
export interface InvalidateOptions {
  /**
   * Drop the cached token only when it is this token, given bare or as the `Bearer <token>`
   * header value. Adapters use it after a 401 so that many concurrent rejections of one token
   * cause one new signing, not one each.
   */
  token?: string | undefined
}

/** Hands out cached ASAP tokens per audience. Create one with `createTokenProvider`. */
export interface TokenProvider {
  /** The signer that creates the tokens. */
  readonly signer: Signer
  /** Resolves to a token with at least the refresh margin of validity left. */
  getToken(audience?: Audience, overrides?: SignOverrides): Promise<string>
  /** Resolves to `Bearer <token>`, the value of the `Authorization` header. */
  getAuthorizationHeader(audience?: Audience, overrides?: SignOverrides): Promise<string>
  /**
   * Returns `Bearer <token>` at once when a cached token can be used, or `undefined` when the
   * caller has to wait for a signing through {@link TokenProvider.getAuthorizationHeader}. Like
   * `getAuthorizationHeader`, it starts a background refresh when the token nears expiry.
   */
  peekAuthorizationHeader(audience?: Audience, overrides?: SignOverrides): string | undefined
  /** Drops the cached tokens of one audience, whatever their subject and claims, or of all. */
  invalidate(audience?: Audience, options?: InvalidateOptions): void
  /** Returns a copy of the counters. */
  stats(): TokenProviderStats
}
