/**
 * Loads the built package from CommonJS and from ESM in separate `node` processes.
 *
 * The test builds `@asap-auth/core` and `@asap-auth/axios` with their own tsup configs into a
 * temporary `node_modules`, next to links to the installed axios, jose
 * and lru-cache. It never touches the packages' `dist` folders, so it cannot race with a build
 * that runs at the same time, and it always loads code built from the current sources.
 */

import { execFile } from 'node:child_process'
import { cp, mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { keys, verifyAuthorization } from './helpers/asap.js'

const run = promisify(execFile)
/** Time for the two tsup builds with declarations, which take several seconds each. */
const BUILD_TIMEOUT_MS = 120_000
/** Time for one tsc run over the built declarations. */
const COMPILE_TIMEOUT_MS = 60_000
const packagesDir = fileURLToPath(new URL('../../', import.meta.url))
let installDir: string

/**
 * Runs the package's own tsup build with `cwd` set to the package, as `pnpm build` does (tsup
 * reads the config and the external dependencies from there), writing to `modulesDir` instead of
 * `dist`.
 */
async function buildInto(name: 'core' | 'axios', modulesDir: string) {
  const packageDir = join(packagesDir, name)
  const target = join(modulesDir, '@asap-auth', name)
  await mkdir(target, { recursive: true })
  await cp(join(packageDir, 'package.json'), join(target, 'package.json'))
  const overrides = { outDir: join(target, 'dist'), clean: false, silent: true }
  await run(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `await (await import('tsup')).build(${JSON.stringify(overrides)})`,
    ],
    { cwd: packageDir, env: { ...process.env, NODE_OPTIONS: '' } },
  )
}

async function linkInstalled(name: string, from: string, modulesDir: string) {
  await symlink(
    await realpath(join(packagesDir, from, 'node_modules', name)),
    join(modulesDir, name),
  )
}

// Each script starts a server on 127.0.0.1, sends one request through withAsap and prints what
// the server received. The parent process verifies the token.
const scriptBody = `
const server = http.createServer((request, response) => {
  received.push(request.headers.authorization ?? null)
  response.end('ok')
})
const received = []
server.listen(0, '127.0.0.1', async () => {
  const origin = 'http://127.0.0.1:' + server.address().port
  const client = axios.create({ baseURL: origin })
  const remove = asap.withAsap(client, {
    provider: { issuer: 'orders', keyId: 'orders/key-1', privateKey: process.env.ASAP_TEST_KEY, algorithm: 'ES256' },
    audience: 'billing',
  })
  let optionError
  try {
    asap.withAsap(client, { provider: undefined, audience: 'billing' })
  } catch (error) {
    optionError = error.code
  }
  await client.get('/x')
  remove()
  await client.get('/y')
  server.close()
  console.log(JSON.stringify({
    exports: Object.keys(asap).sort(),
    urlChangedCode: asap.AsapUrlChangedError.code,
    optionError,
    received,
  }))
})
`

beforeAll(async () => {
  installDir = await mkdtemp(join(tmpdir(), 'asap-axios-entry-'))
  const modulesDir = join(installDir, 'node_modules')
  await buildInto('core', modulesDir)
  await buildInto('axios', modulesDir)
  await linkInstalled('axios', 'axios', modulesDir)
  await linkInstalled('jose', 'core', modulesDir)
  await linkInstalled('lru-cache', 'core', modulesDir)

  await writeFile(
    join(installDir, 'check.cjs'),
    `'use strict'\nconst http = require('node:http')\nconst axios = require('axios')\nconst asap = require('@asap-auth/axios')\n${scriptBody}`,
  )
  await writeFile(
    join(installDir, 'check.mjs'),
    `import http from 'node:http'\nimport axios from 'axios'\nimport * as asap from '@asap-auth/axios'\n${scriptBody}`,
  )
}, BUILD_TIMEOUT_MS)

afterAll(async () => {
  if (installDir !== undefined) {
    await rm(installDir, { recursive: true, force: true })
  }
})

test.each(['check.cjs', 'check.mjs'])('built package works from %s', async (script) => {
  const { stdout } = await run(process.execPath, [join(installDir, script)], {
    cwd: installDir,
    env: { ...process.env, ASAP_TEST_KEY: keys.pkcs8Pem, NODE_OPTIONS: '' },
  })
  const result = JSON.parse(stdout.trim())

  expect(result.exports).toEqual([
    'AsapOriginNotMappedError',
    'AsapUrlChangedError',
    'REDACTED_TOKEN',
    'asapRequestInterceptor',
    'withAsap',
  ])
  expect(result.urlChangedCode).toBe('ERR_ASAP_URL_CHANGED')
  expect(result.optionError).toBe('ERR_ASAP_OPTION_MISSING')
  expect(result.received).toHaveLength(2)
  await verifyAuthorization(result.received[0], 'billing')
  expect(result.received[1]).toBeNull()
})

test('axios and core stay external in both builds', async () => {
  const dist = join(installDir, 'node_modules', '@asap-auth', 'axios', 'dist')
  const esm = await readFile(join(dist, 'index.js'), 'utf8')
  const cjs = await readFile(join(dist, 'index.cjs'), 'utf8')

  expect(esm).toMatch(/from ["']axios["']/)
  expect(esm).toMatch(/from ["']@asap-auth\/core["']/)
  expect(cjs).toMatch(/require\(["']axios["']\)/)
  expect(cjs).toMatch(/require\(["']@asap-auth\/core["']\)/)
  expect(esm).not.toContain('follow-redirects')
})

const consumerBody = `
const client = axios.create()
client.get('/x', { asap: { subject: 'user-1', claims: { tenant: 'acme' } } })
client.get('/x', { asap: false })
// @ts-expect-error asap takes false or an object
client.get('/x', { asap: 'billing' })
// @ts-expect-error audience takes a string or a list of strings
client.get('/x', { asap: { audience: 3 } })
const remove: () => void = withAsap(client, {
  provider: { issuer: 'orders', keyId: 'orders/key-1', privateKey: 'pem' },
  audience: { 'https://billing.internal': 'billing' },
  retryOnUnauthorized: false,
})
remove()
`

test(
  'declarations type config.asap from ESM and CommonJS',
  async () => {
    await writeFile(
      join(installDir, 'consumer.mts'),
      `import axios from 'axios'\nimport { withAsap } from '@asap-auth/axios'\n${consumerBody}`,
    )
    await writeFile(
      join(installDir, 'consumer.cts'),
      `import axios = require('axios')\nimport asap = require('@asap-auth/axios')\nconst { withAsap } = asap\n${consumerBody}`,
    )
    const typescript = join(packagesDir, '..', 'node_modules', 'typescript', 'bin', 'tsc')
    const typeRoots = join(packagesDir, '..', 'node_modules', '@types')

    const compile = run(
      process.execPath,
      [
        typescript,
        '--noEmit',
        '--strict',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--target',
        'es2022',
        '--typeRoots',
        typeRoots,
        '--types',
        'node',
        'consumer.mts',
        'consumer.cts',
      ],
      { cwd: installDir },
    )

    await expect(compile).resolves.toBeDefined()
  },
  COMPILE_TIMEOUT_MS,
)
