import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const script = fileURLToPath(new URL('./fixtures/debug-log.ts', import.meta.url))
const root = fileURLToPath(new URL('../../../', import.meta.url))

describe('debug log', () => {
  it('reports 401 retries without printing a token', async () => {
    // tsx resolves @asap-auth/* through the root tsconfig paths, as vitest does through aliases.
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', script], {
      cwd: root,
      env: { ...process.env, NODE_DEBUG: 'asap' },
    })
    const authorizations = JSON.parse(stdout) as string[]

    expect(authorizations).toHaveLength(4)
    expect(new Set(authorizations).size).toBe(3)
    expect(stderr).toMatch(
      /ASAP \d+: 401 from http:\/\/127\.0\.0\.1:\d+ for audience "billing": token dropped, retrying/,
    )
    expect(stderr).toMatch(/401 from .* token dropped\n/)
    for (const authorization of authorizations) {
      const token = authorization.slice('Bearer '.length)
      expect(token.split('.')).toHaveLength(3)
      expect(stderr).not.toContain(token)
      expect(stderr).not.toContain(token.split('.')[2])
    }
  })
})
