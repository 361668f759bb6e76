/**
 * Runs every example and the demo as a child process, the way a reader runs them, and checks
 * their exit code and output. The children import the built packages, so run `pnpm build` first
 * (`pnpm test` does).
 */

import { spawn } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'vitest'
import { startKeyRepository } from './support/key-repository.js'
import { startResourceService } from './support/services.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const TSX = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url))
/** Generous, because the examples run concurrently and each child starts its own tsx. */
const TIMEOUT_MS = 120_000

interface RunResult {
  code: number | null
  /** Standard output, one entry per line, without trailing blanks. */
  lines: string[]
  stderr: string
}

/**
 * Runs `examples/<file>` with tsx from the repository root. The child gets no `ASAP_*` variable
 * from this process, only those in `env`.
 */
function runExample(file: string, env: Record<string, string> = {}): Promise<RunResult> {
  const childEnv: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('ASAP_')) {
      childEnv[name] = value
    }
  }
  Object.assign(childEnv, env)

  return new Promise((resolve, reject) => {
    const child = spawn(TSX, [`examples/${file}`], {
      cwd: ROOT,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk
    })
    child.on('error', reject)
    child.on('close', (code) => {
      const lines = stdout.split('\n').map((line) => line.trimEnd())
      resolve({ code, lines, stderr })
    })
  })
}

/** Returns `data:application/pkcs8;kid=…;base64,…` for a new RSA key, and its public key PEM. */
function dataUriKey(keyId: string): { dataUri: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const der = privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64')
  return {
    dataUri: `data:application/pkcs8;kid=${encodeURIComponent(keyId)};base64,${der}`,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
  }
}

describe.concurrent('examples', { timeout: TIMEOUT_MS }, () => {
  it('axios.ts signs mapped origins only', async ({ expect }) => {
    const { code, lines, stderr } = await runExample('axios.ts')

    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(lines).toContain('invoices: 200, verified audience invoices-service')
    expect(lines).toContain('reports: 401, sent a token: false')
    expect(lines).toContain('people: 200, verified subject user-42')
  })

  it('undici.ts signs request and fetch', async ({ expect }) => {
    const { code, lines, stderr } = await runExample('undici.ts')

    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(lines).toContain('undici.request: 200, verified audience invoices-service')
    expect(lines).toContain('undici.fetch: 200, same token as before: true')
    expect(lines).toContain('undici.request with asap: false: 401')
  })

  it('node-fetch.ts signs global fetch', async ({ expect }) => {
    const { code, lines, stderr } = await runExample('node-fetch.ts')

    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(lines).toContain('fetch to invoices: 200, verified audience invoices-service')
    expect(lines).toContain('fetch to reports (not mapped): 401')
  })

  it('env-data-uri.ts reads the key ID from the URI', async ({ expect }) => {
    const { code, lines, stderr } = await runExample('env-data-uri.ts')

    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(lines).toContain('ASAP_PRIVATE_KEY=data:application/pkcs8;kid=orders%2Fkey-1;base64,…')
    expect(lines).toContain('issuer orders, key ID orders/key-1, audience invoices-service')
    expect(lines).toContain('invoices: 200, verified audience invoices-service')
    // The Base64 of an RSA key's PKCS#8 DER starts with "MII": none of it may be printed.
    expect(lines.filter((line) => line.includes('MII'))).toEqual([])
  })

  it('verifier-middleware.ts answers 200 or 401', async ({ expect }) => {
    const { code, lines, stderr } = await runExample('verifier-middleware.ts')

    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(lines).toContain('signed request: 200 {"issuer":"orders","audience":"invoices-service"}')
    expect(lines).toContain('unsigned request: 401, WWW-Authenticate: Bearer')
    expect(lines).toContain(
      'token for another audience: 401, WWW-Authenticate: Bearer error="invalid_token"',
    )
  })

  it('demo.ts local mode', async ({ expect }) => {
    const { code, lines, stderr } = await runExample('demo.ts')

    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(lines).toContain('Every call behaved as expected.')
    // 2 rounds × 3 clients × 2 services × 2 calls, each verified for its own audience.
    const verifiedRow =
      /^[12] +(axios|undici|fetch) +(invoices +200 +invoices|search +200 +search)-service +demo-client +(signed|reused)$/
    const verified = lines.filter((line) => verifiedRow.test(line))
    expect(verified).toHaveLength(24)
    expect(lines).toContainEqual(expect.stringMatching(/^2 +axios +reports +401 +- +- +none$/))
    const summary = lines.find((line) => line.startsWith('Provider: '))
    const counts = summary?.match(
      /^Provider: 2 signings for 24 signed requests\. (\d+) found a cached token, (\d+) waited for a signing in progress, 0 signings failed\.$/,
    )
    expect(counts).not.toBeNull()
    // Every request but the two that started the signings reused a token, one way or the other.
    expect(Number(counts![1]) + Number(counts![2])).toBe(22)
  })

  it('demo.ts target mode calls the service', async ({ expect }) => {
    const { dataUri, publicKeyPem } = dataUriKey('demo-target/key-1')
    const repository = await startKeyRepository()
    repository.publish('demo-target/key-1', publicKeyPem)
    const service = await startResourceService('target', 'target-service', repository.url)

    try {
      const url = `${service.origin}/hello`
      const { code, lines, stderr } = await runExample('demo.ts', {
        ASAP_ISSUER: 'demo-target',
        ASAP_PRIVATE_KEY: dataUri,
        ASAP_AUDIENCE: 'target-service',
        ASAP_DEMO_TARGET_URL: url,
      })

      expect(stderr).toBe('')
      expect(code).toBe(0)
      for (const client of ['axios', 'undici', 'fetch']) {
        expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${client} +\\S+ +200$`)))
      }
      expect(lines).toContain('Provider: 1 signing for 3 requests')

      expect(service.hits).toHaveLength(3)
      const verified = service.hits.filter((hit) => hit.status === 200 && hit.jti !== undefined)
      expect(verified).toHaveLength(3)
      // One token, signed once and reused by all three clients.
      expect(new Set(verified.map((hit) => hit.jti)).size).toBe(1)
      expect(repository.requests).toEqual(['demo-target/key-1'])
    } finally {
      await Promise.all([service.close(), repository.close()])
    }
  })

  it('demo.ts target mode fails on wrong audience', async ({ expect }) => {
    const { dataUri, publicKeyPem } = dataUriKey('demo-target/key-1')
    const repository = await startKeyRepository()
    repository.publish('demo-target/key-1', publicKeyPem)
    const service = await startResourceService('target', 'target-service', repository.url)

    try {
      const { code, lines } = await runExample('demo.ts', {
        ASAP_ISSUER: 'demo-target',
        ASAP_PRIVATE_KEY: dataUri,
        ASAP_AUDIENCE: 'another-service',
        ASAP_DEMO_TARGET_URL: `${service.origin}/hello`,
      })

      expect(code).toBe(1)
      for (const client of ['axios', 'undici', 'fetch']) {
        expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${client} +\\S+ +401$`)))
      }
      // Every request carried a token, and the service rejected each one.
      expect(service.hits.length).toBeGreaterThanOrEqual(3)
      expect(service.hits.filter((hit) => !hit.hadAuthorization)).toEqual([])
      expect(service.hits.filter((hit) => hit.status !== 401)).toEqual([])
    } finally {
      await Promise.all([service.close(), repository.close()])
    }
  })
})
