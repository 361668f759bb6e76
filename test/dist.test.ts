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

  it('export the same names from both formats', async () => {
    const commonJs = await load('dist-check.cjs')
    const esm = await load('dist-check.mjs')

    expect(esm.exports).toEqual(commonJs.exports)
  })
})
