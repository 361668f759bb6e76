import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const source = (name: string): string =>
  fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url))

// Tests import the packages from source, so a change is tested without a rebuild.
// `test/dist.test.ts` checks the built output separately.
export default defineConfig({
  resolve: {
    alias: {
      '@asap-auth/core': source('core'),
      '@asap-auth/axios': source('axios'),
      '@asap-auth/undici': source('undici'),
      '@asap-auth/verifier': source('verifier'),
    },
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
})
