/**
 * The ASAP signer: validates its options once, imports the key once, then signs tokens.
 *
 * @module
 */

import { inspect } from 'node:util'
import { algorithmDescriptor } from './algorithms.js'
import {
  checkClaimTypes,
  frozenJsonCopy,
  MAX_LIFETIME_SECONDS,
  normalizeAudience,
  parseClaims,
  unserialisableClaimsError,
} from './claims.js'
import {
  AsapInvalidClaimsError,
  AsapInvalidOptionError,
  AsapKeyIdConflictError,
  AsapMissingOptionError,
  AsapSigningError,
} from './errors.js'
import { createCompactSigner } from './jws.js'
import { assertKeyFitsAlgorithm, assertKeySigns } from './key-algorithm.js'
import { assertKeyIdOwnedBy, assertValidKeyId } from './key-id.js'
import { assertKnownOptions } from './option-names.js'
import { type LoadedPrivateKey, loadPrivateKey } from './private-key.js'
import { quoteValue } from './quote.js'
import { buildClaims, type SignerSettings } from './token-claims.js'
import type {
  AsapAlgorithm,
  AsapHeader,
  Audience,
  Clock,
  IssuedToken,
  PrivateKeyInput,
  Signer,
  SignOverrides,
} from './types.js'

/** Default token lifetime, `exp` − `iat`, in seconds: one hour, as in Postman. */
export const DEFAULT_EXPIRES_IN = 3600

/**
 * Default number of seconds by which `iat` and `nbf` are set before the current time.
 *
 * Several verifiers, Atlassian's reference among them, reject an `iat` or `nbf` in the future with
 * no leeway. Backdating by 5 seconds keeps a token valid on a receiver whose clock runs up to
 * 5 seconds behind the sender's, which covers hosts synchronised by NTP with room to spare, and
 * costs only 5 seconds of the token's life.
 */
export const DEFAULT_BACKDATE = 5

/** Options of {@link createSigner}. */
export interface SignerOptions {
  /** The issuing service's identifier, the `iss` claim. Required. */
  issuer: string
  /**
   * The key ID, the `kid` header. It must follow the ASAP key ID rules and start with
   * `<issuer>/`. Required unless `privateKey` is a data URI that carries a key ID.
   */
  keyId?: string | undefined
  /**
   * The private key, in any form of {@link PrivateKeyInput}, or a WebCrypto `CryptoKey`. Read once,
   * here. Required.
   */
  privateKey: PrivateKeyInput
  /**
   * The signing algorithm, one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512.
   *
   * @default 'RS256'
   */
  algorithm?: AsapAlgorithm | undefined
  /** The `sub` claim. Defaults to the issuer (after additional claims are applied). */
  subject?: string | undefined
  /** The audience used when {@link Signer.sign} is called without one. */
  audience?: Audience | undefined
  /**
   * Token lifetime in seconds, `exp` − `iat`: a whole number from 1 to 3600.
   *
   * @default 3600
   */
  expiresIn?: number | undefined
  /**
   * Seconds by which `iat` and `nbf` are set before the current time, so that a receiver whose
   * clock runs slightly behind still accepts the token. A whole number from 0 to 60, less than
   * `expiresIn`. `exp` − `iat` stays `expiresIn`, so the token's remaining life at issue is
   * `expiresIn` − `backdate`.
   *
   * @default 5
   */
  backdate?: number | undefined
  /**
   * Claims added to every token, as an object or a JSON string. They win over the fields above:
   * an `iss` here replaces `issuer`, and a `sub` replaces `subject`. `jti` is not allowed here,
   * because every token needs its own.
   */
  additionalClaims?: Readonly<Record<string, unknown>> | string | undefined
  /** The time source. Defaults to `Date`. */
  clock?: Clock | undefined
}

const signerOptionNames: Readonly<Record<keyof SignerOptions, true>> = {
  issuer: true,
  keyId: true,
  privateKey: true,
  algorithm: true,
  subject: true,
  audience: true,
  expiresIn: true,
  backdate: true,
  additionalClaims: true,
  clock: true,
}

/** Every option name of {@link createSigner}. */
export const SIGNER_OPTION_NAMES: readonly string[] = Object.freeze(Object.keys(signerOptionNames))

/** The largest accepted `backdate`, in seconds. A larger skew means a broken clock to fix. */
const MAX_BACKDATE = 60

type ClaimSet = Record<string, unknown>

/** A string option's name, meaning and example value, for messages. */
interface StringOption {
  readonly field: string
  /** Completes "set it to …", such as `this service's identifier`. */
  readonly meaning: string
  readonly example: string
  /** A sentence that ends the "missing" message, when there is more than one way to fix it. */
  readonly alternative?: string
}

const ISSUER_OPTION: StringOption = {
  field: 'issuer',
  meaning: "this service's identifier",
  example: '"my-service"',
}

const KEY_ID_OPTION: StringOption = {
  field: 'keyId',
  meaning: 'the key ID under which the public key is published',
  example: '"my-service/key-1"',
  alternative: 'or give the key as a data URI with a kid parameter',
}

const SUBJECT_OPTION: StringOption = {
  field: 'subject',
  meaning: 'the principal the token acts for',
  example: '"user-1"',
  alternative: 'or leave it unset so that it defaults to the issuer',
}

function missingOption(option: StringOption): AsapMissingOptionError {
  const alternative = option.alternative === undefined ? '' : `, ${option.alternative}`
  return new AsapMissingOptionError(
    `Missing ${option.field}: set it to ${option.meaning}, such as ${option.example}${alternative}.`,
    { field: option.field },
  )
}

function requireString(value: unknown, option: StringOption): string {
  if (value === undefined || value === null || value === '') {
    throw missingOption(option)
  }
  if (typeof value !== 'string') {
    throw new AsapInvalidOptionError(
      `Invalid ${option.field}: expected ${option.meaning} as a string, such as ${option.example}, got ${typeof value}.`,
      { field: option.field },
    )
  }
  return value
}

function readWholeNumber(
  value: unknown,
  field: string,
  min: number,
  max: number,
  fallback: number,
): number {
  if (value === undefined) {
    return fallback
  }
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    const received =
      typeof value === 'number' ? String(value) : `${typeof value} ${quoteValue(value)}`
    throw new AsapInvalidOptionError(
      `Invalid ${field} ${received}: expected a whole number of seconds from ${min} to ${max}.`,
      { field },
    )
  }
  return value as number
}

function readClock(value: unknown): Clock {
  if (value === undefined) {
    return Date
  }
  if (typeof (value as Clock | null)?.now !== 'function') {
    throw new AsapInvalidOptionError('Invalid clock: expected an object with a now() method.', {
      field: 'clock',
    })
  }
  return value as Clock
}

/**
 * Reads `additionalClaims` into a frozen deep copy, so that later changes to the caller's object
 * do not reach the tokens.
 */
function readStaticClaims(value: unknown): Readonly<ClaimSet> {
  if (value === undefined) {
    return Object.freeze({})
  }
  const claims = parseClaims(value, 'additionalClaims')
  checkClaimTypes(claims, 'additionalClaims')
  if ('jti' in claims) {
    throw new AsapInvalidClaimsError(
      'The additionalClaims must not set "jti": every token needs its own. Remove it, or pass it per call.',
      { field: 'additionalClaims.jti' },
    )
  }
  return frozenJsonCopy(claims, 'additionalClaims')
}

/**
 * Picks the key ID from the `keyId` option or the data-URI key, and names the field it came from
 * for later messages.
 */
function resolveKeyId(
  explicit: string | undefined,
  loaded: LoadedPrivateKey,
): { keyId: string; field: string } {
  if (explicit !== undefined && loaded.keyId !== undefined && explicit !== loaded.keyId) {
    throw new AsapKeyIdConflictError(
      `The keyId ${quoteValue(explicit)} differs from the key ID ${quoteValue(loaded.keyId)} in the data-URI private key. ` +
        'Remove the keyId option, or use the key that belongs to it.',
      { field: 'keyId' },
    )
  }
  if (explicit !== undefined) {
    return { keyId: explicit, field: 'keyId' }
  }
  if (loaded.keyId !== undefined) {
    return { keyId: loaded.keyId, field: 'privateKey.kid' }
  }
  throw missingOption(KEY_ID_OPTION)
}

function readOptions(options: SignerOptions): {
  settings: SignerSettings
  loaded: LoadedPrivateKey
} {
  if (typeof options !== 'object' || options === null) {
    throw new AsapInvalidOptionError('createSigner expects an options object.', {
      field: 'options',
    })
  }
  assertKnownOptions(options, SIGNER_OPTION_NAMES, 'createSigner')

  const optionIssuer = requireString(options.issuer, ISSUER_OPTION)
  const explicitKeyId =
    options.keyId === undefined ? undefined : requireString(options.keyId, KEY_ID_OPTION)
  if (explicitKeyId !== undefined) {
    assertValidKeyId(explicitKeyId, 'keyId')
  }
  if (options.privateKey === undefined || options.privateKey === null) {
    throw new AsapMissingOptionError(
      'Missing privateKey: give a PEM, Base64 DER, data URI, JWK or KeyObject private key.',
      { field: 'privateKey' },
    )
  }

  const descriptor = algorithmDescriptor(options.algorithm ?? 'RS256')
  const expiresIn = readWholeNumber(
    options.expiresIn,
    'expiresIn',
    1,
    MAX_LIFETIME_SECONDS,
    DEFAULT_EXPIRES_IN,
  )
  const backdate = readWholeNumber(options.backdate, 'backdate', 0, MAX_BACKDATE, DEFAULT_BACKDATE)
  if (backdate >= expiresIn) {
    throw new AsapInvalidOptionError(
      `Invalid backdate ${backdate}: it must be less than expiresIn (${expiresIn}), or tokens would expire when issued.`,
      { field: 'backdate' },
    )
  }
  const subject =
    options.subject === undefined ? undefined : requireString(options.subject, SUBJECT_OPTION)
  const clock = readClock(options.clock)
  const claims = readStaticClaims(options.additionalClaims)
  const issuer = (claims.iss as string | undefined) ?? optionIssuer
  const audience =
    options.audience === undefined ? undefined : Object.freeze(normalizeAudience(options.audience))

  const loaded = loadPrivateKey(options.privateKey)
  const { keyId, field: keyIdField } = resolveKeyId(explicitKeyId, loaded)
  assertValidKeyId(keyId, keyIdField)
  assertKeyIdOwnedBy(keyId, issuer, keyIdField)
  assertKeyFitsAlgorithm(loaded.key, descriptor)
  assertKeySigns(loaded.key, descriptor)

  const settings: SignerSettings = {
    issuer,
    keyId,
    algorithm: descriptor.name,
    subject,
    audience,
    expiresIn,
    backdate,
    claims,
    clock,
  }
  return { settings, loaded }
}

/**
 * Creates a {@link Signer}. Every option is checked and the private key is imported here, once, so
 * a configuration mistake throws at start-up instead of on the first request. The checks include
 * one test signature with the key and one dry run of the claims, which reads the clock once.
 *
 * @example Sign a token for one audience
 * ```ts
 * const signer = createSigner({
 *   issuer: 'billing',
 *   keyId: 'billing/key-1',
 *   privateKey: process.env.BILLING_PRIVATE_KEY!,
 * })
 * const token = await signer.sign('invoices')
 * ```
 *
 * @throws {AsapError} a subclass with a stable `code` for each invalid option.
 */
export function createSigner(options: SignerOptions): Signer {
  const { settings, loaded } = readOptions(options)
  // A dry run makes additional claims that break the time rules, such as a fixed exp more than an
  // hour ahead, fail here. The audience only fills the claim when no default is configured.
  buildClaims(settings, settings.audience ?? 'audience-check', undefined)

  const header: AsapHeader = Object.freeze({
    alg: settings.algorithm,
    kid: settings.keyId,
    typ: 'JWT',
  })
  const signCompact = createCompactSigner(header, loaded.key)

  async function issue(audience?: Audience, overrides?: SignOverrides): Promise<IssuedToken> {
    const claims = buildClaims(settings, audience, overrides)
    let payloadJson: string
    try {
      payloadJson = JSON.stringify(claims)
    } catch (cause) {
      throw unserialisableClaimsError('claims', cause)
    }

    let token: string
    try {
      token = await signCompact(payloadJson)
    } catch (cause) {
      throw new AsapSigningError(
        `Signing a ${settings.algorithm} token with key ID ${quoteValue(settings.keyId)} failed: ${(cause as Error)?.message ?? cause}`,
        { cause },
      )
    }
    return { token, header, claims, expiresAt: claims.exp * 1000 }
  }

  const summary = {
    issuer: settings.issuer,
    keyId: settings.keyId,
    algorithm: settings.algorithm,
    expiresIn: settings.expiresIn,
    audience: settings.audience,
  }

  return Object.freeze({
    issuer: settings.issuer,
    keyId: settings.keyId,
    algorithm: settings.algorithm,
    expiresIn: settings.expiresIn,
    clock: settings.clock,
    audience: settings.audience,
    issue,
    async sign(audience?: Audience, overrides?: SignOverrides): Promise<string> {
      return (await issue(audience, overrides)).token
    },
    toJSON: () => summary,
    [inspect.custom]: () => `Signer ${inspect(summary)}`,
  })
}
