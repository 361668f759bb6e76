import { request as httpRequest, type IncomingMessage } from 'node:http'
import {
  type AsapRequest,
  createAsapMiddleware,
  createVerifier,
  type Verifier,
  verifyRequest,
} from '@asap-auth/verifier'
import express from 'express'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateKeys } from '../../../test/helpers/keys.js'
import { startServer, type TestServer } from './helpers/servers.js'
import { createTestClock, makeToken } from './helpers/tokens.js'

const rsa = generateKeys('RS256')
const clock = createTestClock()
/** Every key ID the verifier looked up, in order. */
const lookedUp: string[] = []
let verifier: Verifier

beforeAll(() => {
  verifier = createVerifier({
    audience: 'invoices',
    keyRepository: (keyId) => {
      lookedUp.push(keyId)
      return rsa.spkiPem
    },
    // Fetch every time, so that each accepted request shows up in `lookedUp`.
    keyCacheTtl: 0,
    allowedIssuers: ['billing', 'other'],
    subjectMustMatchIssuer: true,
    clock,
  })
})

function token(claims: Record<string, unknown> = {}, kid = 'billing/key-1') {
  return makeToken({ privateKey: rsa.privateKey, claims, header: { kid }, now: clock.now() })
}

interface Reply {
  status: number
  challenge: string | undefined
  body: string
}

async function get(origin: string, authorization?: string | string[]): Promise<Reply> {
  // node:http sends each value of an array as its own header line.
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      `${origin}/invoices`,
      { agent: false },
      (response: IncomingMessage) => {
        let body = ''
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => {
          body += chunk
        })
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            challenge: response.headers['www-authenticate'],
            body,
          }),
        )
      },
    )
    if (authorization !== undefined) {
      outgoing.setHeader('Authorization', authorization)
    }
    outgoing.on('error', reject)
    outgoing.end()
  })
}

/** The cases every server must handle the same way. */
function describeServer(name: string, startApp: () => Promise<TestServer>) {
  describe(name, () => {
    let server: TestServer
    beforeAll(async () => {
      server = await startApp()
    })
    afterAll(async () => {
      await server.close()
    })

    it('passes the claims on', async () => {
      const jwt = await token()
      const reply = await get(server.origin, `Bearer ${jwt}`)
      expect(reply.status).toBe(200)
      expect(JSON.parse(reply.body)).toEqual({
        iss: 'billing',
        kid: 'billing/key-1',
        alg: 'RS256',
        aud: 'invoices',
      })
      expect(reply.challenge).toBeUndefined()
    })

    it('responds 401 Bearer without a header', async () => {
      const reply = await get(server.origin)
      expect(reply.status).toBe(401)
      expect(reply.challenge).toBe('Bearer')
      expect(reply.body).toBe('Unauthorized\n')
    })

    it('accepts any case of the scheme', async () => {
      for (const scheme of ['bearer', 'BEARER', 'bEaReR']) {
        const reply = await get(server.origin, `${scheme} ${await token()}`)
        expect(reply.status, scheme).toBe(200)
      }
    })

    it('responds 401 Bearer without a scheme', async () => {
      const jwt = await token()
      const before = lookedUp.length

      const reply = await get(server.origin, jwt)

      expect(reply.status).toBe(401)
      expect(reply.challenge).toBe('Bearer')
      expect(reply.body).toBe('Unauthorized\n')
      expect(lookedUp.length).toBe(before)
    })

    it('responds 401 Bearer for another scheme', async () => {
      const reply = await get(server.origin, 'Basic dXNlcjpwYXNz')
      expect(reply.status).toBe(401)
      expect(reply.challenge).toBe('Bearer')
    })

    it('responds 401 invalid_token for a bad token', async () => {
      const expired = await token({
        exp: clock.now() / 1000 - 3600,
        iat: clock.now() / 1000 - 4000,
        nbf: undefined,
      })
      const wrongAudience = await token({ aud: 'search' })
      for (const authorization of [
        `Bearer ${expired}`,
        `Bearer ${wrongAudience}`,
        'Bearer abc',
        `Bearer  ${wrongAudience}`,
      ]) {
        const reply = await get(server.origin, authorization)
        expect(reply.status).toBe(401)
        expect(reply.challenge).toBe('Bearer error="invalid_token"')
        expect(reply.body).toBe('Unauthorized\n')
        expect(reply.body).not.toContain(expired)
      }
    })

    it('responds 401 for two Authorization headers', async () => {
      const jwt = await token()
      const reply = await get(server.origin, [`Bearer ${jwt}`, `Bearer ${jwt}`])
      expect(reply.status).toBe(401)
      expect(reply.challenge).toBe('Bearer error="invalid_token"')
    })

    it('responds 403 for a disallowed issuer', async () => {
      // The kid is under the allowed issuer "billing", so the token is verified, and its issuer
      // "billing/batch" is not allowed.
      const jwt = await token({ iss: 'billing/batch', sub: undefined }, 'billing/batch/key-1')
      const reply = await get(server.origin, `Bearer ${jwt}`)
      expect(reply.status).toBe(403)
      expect(reply.challenge).toBeUndefined()
      expect(reply.body).toBe('Forbidden\n')
    })

    it('responds 401 without a lookup for a kid outside the allowed issuers', async () => {
      const jwt = await token({ iss: 'intruder', sub: undefined }, 'intruder/key-1')
      const before = lookedUp.length

      const reply = await get(server.origin, `Bearer ${jwt}`)

      expect(reply.status).toBe(401)
      expect(reply.challenge).toBe('Bearer error="invalid_token"')
      expect(lookedUp.length).toBe(before)
    })
  })
}

function summarize(request: AsapRequest) {
  const asap = request.asap!
  return JSON.stringify({
    iss: asap.claims.iss,
    kid: asap.header.kid,
    alg: asap.header.alg,
    aud: asap.claims.aud,
  })
}

describeServer('express 5 app', async () => {
  const app = express()
  app.use(createAsapMiddleware(verifier))
  app.get('/invoices', (req, res) => {
    // `req.asap` is typed on Express's Request through the package's global augmentation.
    const issuer: string | undefined = req.asap?.claims.iss
    expect(issuer).toBe('billing')
    res.type('application/json').send(summarize(req))
  })
  return startServer(app)
})

describeServer('node:http server', async () => {
  const asap = createAsapMiddleware(verifier)
  return startServer((req, res) => {
    void asap(req, res, (error) => {
      if (error !== undefined) {
        res.statusCode = 500
        res.end()
        return
      }
      res.setHeader('Content-Type', 'application/json')
      res.end(summarize(req as AsapRequest))
    })
  })
})

describe('middleware errors', () => {
  it('passes other errors to next', async () => {
    const broken: Verifier = {
      audiences: ['invoices'],
      verify: () => Promise.reject(new Error('broken verifier')),
      verifyAuthorizationHeader: () => Promise.reject(new Error('broken verifier')),
      verifyToken: () => Promise.reject(new Error('broken verifier')),
    }
    const app = express()
    app.use(createAsapMiddleware(broken))
    app.use(
      (error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
        res.status(500).send(error.message)
      },
    )
    const server = await startServer(app)
    try {
      const reply = await get(server.origin, 'Bearer abc')
      expect(reply.status).toBe(500)
      expect(reply.body).toBe('broken verifier')
    } finally {
      await server.close()
    }
  })
})

describe('verifyRequest', () => {
  it('verifies the Authorization header of a request', async () => {
    const jwt = await token()
    const seen: string[] = []
    const server = await startServer((req, res) => {
      verifyRequest(verifier, req).then(
        (result) => {
          seen.push(result.claims.iss)
          res.end('ok')
        },
        (error: { code: string }) => {
          seen.push(error.code)
          res.end('no')
        },
      )
    })
    try {
      await request(`${server.origin}/`, { headers: { authorization: `Bearer ${jwt}` } }).then(
        (r) => r.body.text(),
      )
      await request(`${server.origin}/`).then((r) => r.body.text())
      await request(`${server.origin}/`, { headers: { authorization: jwt } }).then((r) =>
        r.body.text(),
      )
      expect(seen).toEqual([
        'billing',
        'ERR_ASAP_TOKEN_MISSING',
        'ERR_ASAP_AUTHORIZATION_SCHEME_UNSUPPORTED',
      ])
    } finally {
      await server.close()
    }
  })
})
