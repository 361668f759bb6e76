/**
 * Error classes thrown by the ASAP packages.
 *
 * Every error is an {@link AsapError} with a stable `code`. Configuration mistakes are thrown when a
 * signer, provider or interceptor is created, so they surface at start-up instead of on the first
 * request. No message contains key material or a token.
 *
 * @module
 */

/** Every `code` an error from `@asap-auth/core` can carry. */
export type AsapErrorCode =
  | 'ERR_ASAP_OPTION_MISSING'
  | 'ERR_ASAP_OPTION_INVALID'
  | 'ERR_ASAP_KEY_ID_INVALID'
  | 'ERR_ASAP_KEY_ID_NOT_OWNED'
  | 'ERR_ASAP_KEY_ID_CONFLICT'
  | 'ERR_ASAP_ALGORITHM_UNSUPPORTED'
  | 'ERR_ASAP_KEY_INVALID'
  | 'ERR_ASAP_KEY_NOT_PRIVATE'
  | 'ERR_ASAP_KEY_FORMAT_UNSUPPORTED'
  | 'ERR_ASAP_KEY_ALGORITHM_MISMATCH'
  | 'ERR_ASAP_KEY_TOO_SMALL'
  | 'ERR_ASAP_CLAIMS_INVALID'
  | 'ERR_ASAP_AUDIENCE_INVALID'
  | 'ERR_ASAP_SIGNING_FAILED'
  | 'ERR_ASAP_ENV_INVALID'
  | 'ERR_ASAP_ORIGIN_NOT_MAPPED'

/** Details attached to an {@link AsapError}. */
export interface AsapErrorOptions {
  /** The option, claim or variable at fault, such as `keyId` or `ASAP_ISSUER`. */
  field?: string | undefined
  /** The original error, for example from jose or `node:crypto`. */
  cause?: unknown
}

const brand = Symbol.for('asap-auth.error')

/**
 * Base class of every error thrown by the ASAP packages.
 *
 * `instanceof AsapError` also holds for errors created by another copy of the package (two
 * installed versions, or the ESM and CommonJS builds side by side), because the check uses a
 * `Symbol.for` brand instead of the prototype chain. The same holds for each subclass, which
 * compares `code`.
 */
export class AsapError extends Error {
  /** Stable identifier of the failure, safe to compare and to log. */
  readonly code: string
  /** The option, claim or variable at fault, when one is. */
  readonly field: string | undefined

  constructor(code: string, message: string, options: AsapErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    // esbuild compiles a class that refers to itself into `class _Name`, so the leading
    // underscore is dropped. (Its keepNames option would keep it, at a cost on every closure.)
    this.name = new.target.name.replace(/^_+/, '')
    this.code = code
    this.field = options.field
    Object.defineProperty(this, brand, { value: true })
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null || !(brand in value)) {
      return false
    }
    // `this` is the class on the right of `instanceof`: a subclass narrows the check to its code.
    // biome-ignore lint/complexity/noThisInStatic: the receiver is the subclass being checked
    const expected = (this as { code?: unknown }).code
    return expected === undefined || (value as { code?: unknown }).code === expected
  }
}

/** Returns true when `value` is an {@link AsapError}, from any copy of the package. */
export function isAsapError(value: unknown): value is AsapError {
  return typeof value === 'object' && value !== null && brand in value
}

/** A required option is missing. Code `ERR_ASAP_OPTION_MISSING`. */
export class AsapMissingOptionError extends AsapError {
  static readonly code = 'ERR_ASAP_OPTION_MISSING'
  constructor(message: string, options?: AsapErrorOptions) {
    super(AsapMissingOptionError.code, message, options)
  }
}

/** An option has a value of the wrong type or out of range. Code `ERR_ASAP_OPTION_INVALID`. */
export class AsapInvalidOptionError extends AsapError {
  static readonly code = 'ERR_ASAP_OPTION_INVALID'
  constructor(message: string, options?: AsapErrorOptions) {
    super(AsapInvalidOptionError.code, message, options)
  }
}

/** A key ID breaks the ASAP key ID rules. Code `ERR_ASAP_KEY_ID_INVALID`. */
export class AsapInvalidKeyIdError extends AsapError {
  static readonly code = 'ERR_ASAP_KEY_ID_INVALID'
  constructor(message: string, options?: AsapErrorOptions) {
    super(AsapInvalidKeyIdError.code, message, options)
  }
}

/** A key ID does not start with `<issuer>/`. Code `ERR_ASAP_KEY_ID_NOT_OWNED`. */
export class AsapKeyIdNotOwnedError extends AsapError {
  static readonly code = 'ERR_ASAP_KEY_ID_NOT_OWNED'
  constructor(message: string, options?: AsapErrorOptions) {
    super(AsapKeyIdNotOwnedError.code, message, options)
  }
}

/**
 * The key ID in a data-URI private key differs from the explicit `keyId` option.
 * Code `ERR_ASAP_KEY_ID_CONFLICT`.
 */
export class AsapKeyIdConflictError extends AsapError {
  static readonly code = 'ERR_ASAP_KEY_ID_CONFLICT'
  constructor(message: string, options?: AsapErrorOptions) {
    super(AsapKeyIdConflictError.code, message, options)
  }
}

/** The algorithm is not one of the nine ASAP algorithms. Code `ERR_ASAP_ALGORITHM_UNSUPPORTED`. */
export class AsapUnsupportedAlgorithmError extends AsapError {
  static readonly code = 'ERR_ASAP_ALGORITHM_UNSUPPORTED'
  constructor(message: string, options?: AsapErrorOptions) {
    super(AsapUnsupportedAlgorithmError.code, message, options)
  }
}

/** The private key cannot be read in any accepted form. Code `ERR_ASAP_KEY_INVALID`. */
export class AsapInvalidKeyError extends AsapError {
  static readonly code = 'ERR_ASAP_KEY_INVALID'
  constructor(message: string, options?: AsapErrorOptions) {
    super(AsapInvalidKeyError.code, message, options)
  }
}

/** A public or secret key was given where a private key is needed. Code `ERR_ASAP_KEY_NOT_PRIVATE`. */
export class AsapKeyNotPrivateError extends AsapError {
  static readonly code = 'ERR_ASAP_KEY_NOT_PRIVATE'
  constructor(message: string, options?: AsapErrorOptions) {
    super(AsapKeyNotPrivateError.code, message, options)
  }
}

/**
 * The key is in a format that must be converted first, such as an encrypted PEM or an OpenSSH
 * key. The message gives the command that converts it. Code `ERR_ASAP_KEY_FORMAT_UNSUPPORTED`.
 */
export class AsapUnsupportedKeyFormatError extends AsapError {
  static readonly code = 'ERR_ASAP_KEY_FORMAT_UNSUPPORTED'
  constructor(message: string, options?: AsapErrorOptions) {
    super(AsapUnsupportedKeyFormatError.code, message, options)
  }
}

/**
 * The key type or curve does not fit the algorithm, for example an EC key with `PS256` or a P-384
 * key with `ES256`. Code `ERR_ASAP_KEY_ALGORITHM_MISMATCH`.
 */
export class AsapKeyAlgorithmMismatchError extends AsapError {
  static readonly code = 'ERR_ASAP_KEY_ALGORITHM_MISMATCH'
  constructor(message: string, options?: AsapErrorOptions) {
    super(AsapKeyAlgorithmMismatchError.code, message, options)
  }
}

/** An RSA key has fewer than 2048 bits. Code `ERR_ASAP_KEY_TOO_SMALL`. */
export class AsapKeyTooSmallError extends AsapError {
  static readonly code = 'ERR_ASAP_KEY_TOO_SMALL'
  constructor(message: string, options?: AsapErrorOptions) {
    super(AsapKeyTooSmallError.code, message, options)
  }
}

/** Additional or per-call claims break the ASAP claim rules. Code `ERR_ASAP_CLAIMS_INVALID`. */
export class AsapInvalidClaimsError extends AsapError {
  static readonly code = 'ERR_ASAP_CLAIMS_INVALID'
  constructor(message: string, options?: AsapErrorOptions) {
    super(AsapInvalidClaimsError.code, message, options)
  }
}

/** The audience is missing, empty or not a string. Code `ERR_ASAP_AUDIENCE_INVALID`. */
export class AsapInvalidAudienceError extends AsapError {
  static readonly code = 'ERR_ASAP_AUDIENCE_INVALID'
  constructor(message: string, options?: AsapErrorOptions) {
    super(AsapInvalidAudienceError.code, message, options)
  }
}

/** Signing failed after the signer was created. Code `ERR_ASAP_SIGNING_FAILED`. */
export class AsapSigningError extends AsapError {
  static readonly code = 'ERR_ASAP_SIGNING_FAILED'
  constructor(message: string, options?: AsapErrorOptions) {
    super(AsapSigningError.code, message, options)
  }
}

/** One problem with one `ASAP_*` environment variable. */
export interface AsapEnvironmentProblem {
  /** The variable name, such as `ASAP_ISSUER`. */
  variable: string
  /** What is wrong with it and how to fix it. The variable's value is never included. */
  message: string
}

/**
 * One or more `ASAP_*` environment variables are missing or invalid. `problems` lists each one.
 * Code `ERR_ASAP_ENV_INVALID`.
 */
export class AsapEnvironmentError extends AsapError {
  static readonly code = 'ERR_ASAP_ENV_INVALID'
  /** Every variable at fault, in the order they were checked. */
  readonly problems: readonly AsapEnvironmentProblem[]
  constructor(problems: readonly AsapEnvironmentProblem[]) {
    const lines = problems.map((problem) => `  ${problem.variable}: ${problem.message}`)
    super(
      AsapEnvironmentError.code,
      `Invalid ASAP configuration in environment variables:\n${lines.join('\n')}`,
      { field: problems.map((problem) => problem.variable).join(', ') },
    )
    this.problems = problems
  }
}
