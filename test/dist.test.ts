import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

// These tests load the BUILT packages (dist/) the way users do, from CommonJS and ES modules.
// `pnpm test` builds first.

const run = promisify(execFile)

async function load(fixture: string) {
  const file = fileURLToPath(new URL(`./fixtures/${fixture}`, import.meta.url))
  const { stdout } = await run(process.execPath, [file], {
    cwd: fileURLToPath(new URL('.', import.meta.url)),
  })
  return JSON.parse(stdout)
}

/** The class name and `code` each fixture error must carry, by the key the fixtures use. */
const expectedErrors: Record<string, { name: string; code: string }> = {
  missingOption: { name: 'AsapMissingOptionError', code: 'ERR_ASAP_OPTION_MISSING' },
  unknownOption: { name: 'AsapInvalidOptionError', code: 'ERR_ASAP_OPTION_INVALID' },
  keyIdNotOwned: { name: 'AsapKeyIdNotOwnedError', code: 'ERR_ASAP_KEY_ID_NOT_OWNED' },
  environment: { name: 'AsapEnvironmentError', code: 'ERR_ASAP_ENV_INVALID' },
  verification: { name: 'AsapVerificationError', code: 'ERR_ASAP_TOKEN_MALFORMED' },
  urlChanged: { name: 'AsapUrlChangedError', code: 'ERR_ASAP_URL_CHANGED' },
}

describe('built packages', () => {
  it('load and sign from CommonJS', async () => {
    const summary = await load('dist-check.cjs')

    expect(summary.tokenParts).toBe(3)
    expect(summary.exports.core).toContain('createSigner')
    expect(summary.exports.core).toContain('createTokenProvider')
  })

  it('load and sign from ES modules', async () => {
    const summary = await load('dist-check.mjs')

    expect(summary.tokenParts).toBe(3)
    expect(summary.crossBuildInstanceOf).toBe(true)
    expect(summary.crossBuildIsAsapError).toBe(true)
    expect(summary.crossBuildWrongClass).toBe(false)
  })

  it.each(['dist-check.cjs', 'dist-check.mjs'])('keep error class names in %s', async (fixture) => {
    const summary = await load(fixture)

    expect(Object.keys(summary.errors).sort()).toEqual(Object.keys(expectedErrors).sort())
    for (const [key, expected] of Object.entries(expectedErrors)) {
      const error = summary.errors[key]
      expect(error.name, key).toBe(expected.name)
      expect(error.code, key).toBe(expected.code)
      expect(error.stackHead.split(': ')[0], key).toBe(expected.name)
    }
  })

  it('reject a misspelled signer option', async () => {
    const summary = await load('dist-check.cjs')

    expect(summary.errors.unknownOption.stackHead).toContain(
      '"expiresin" is not an option of createSigner. Did you mean "expiresIn"?',
    )
  })

  it('export the same names from both formats', async () => {
    const commonJs = await load('dist-check.cjs')
    const esm = await load('dist-check.mjs')

    expect(esm.exports).toEqual(commonJs.exports)
  })
})
