/**
 * A self-signed TLS certificate made with `node:crypto` alone, for HTTPS test servers on
 * 127.0.0.1. Node 20 has no API that creates X.509 certificates, so this module writes the DER
 * structure of RFC 5280 by hand.
 *
 * The certificate has an ECDSA P-256 key, is signed with SHA-256 and is valid from one day ago to
 * one day ahead. It carries `basicConstraints CA:TRUE`, so clients can trust it through the `ca`
 * option, and a subjectAltName that names 127.0.0.1 and the given DNS names.
 *
 * @module
 */

import { generateKeyPairSync, randomBytes, sign } from 'node:crypto'

/** A certificate and its private key, in PEM, ready for `https.createServer` and `ca`. */
export interface TestCertificate {
  readonly certPem: string
  readonly keyPem: string
}

function encodeLength(length: number): Buffer {
  if (length < 0x80) {
    return Buffer.from([length])
  }
  const bytes: number[] = []
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) {
    bytes.unshift(rest % 256)
  }
  return Buffer.from([0x80 | bytes.length, ...bytes])
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content)
  return Buffer.concat([Buffer.from([tag]), encodeLength(body.length), body])
}

const sequence = (...parts: Buffer[]): Buffer => tlv(0x30, ...parts)

function objectIdentifier(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number)
  const bytes = [40 * arcs[0]! + arcs[1]!]
  for (const arc of arcs.slice(2)) {
    const base128 = [arc & 0x7f]
    for (let rest = Math.floor(arc / 128); rest > 0; rest = Math.floor(rest / 128)) {
      base128.unshift((rest & 0x7f) | 0x80)
    }
    bytes.push(...base128)
  }
  return tlv(0x06, Buffer.from(bytes))
}

function positiveInteger(bytes: Buffer): Buffer {
  return tlv(0x02, bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes)
}

function utcTime(date: Date): Buffer {
  const text = date
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d{3}Z$/, 'Z')
    .slice(2)
  return tlv(0x17, Buffer.from(text, 'ascii'))
}

function commonName(name: string): Buffer {
  return sequence(tlv(0x31, sequence(objectIdentifier('2.5.4.3'), tlv(0x0c, Buffer.from(name)))))
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  const flag = critical ? [tlv(0x01, Buffer.from([0xff]))] : []
  return sequence(objectIdentifier(oid), ...flag, tlv(0x04, value))
}

/** Creates a self-signed certificate for 127.0.0.1 and `dnsNames`. */
export function createTestCertificate(
  dnsNames: readonly string[] = ['localhost'],
): TestCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  const ecdsaWithSha256 = sequence(objectIdentifier('1.2.840.10045.4.3.2'))
  const name = commonName('asap-auth test server')
  const now = Date.now()
  const day = 24 * 60 * 60 * 1000

  const alternativeNames = sequence(
    tlv(0x87, Buffer.from([127, 0, 0, 1])),
    ...dnsNames.map((dnsName) => tlv(0x82, Buffer.from(dnsName, 'ascii'))),
  )
  const extensions = tlv(
    0xa3,
    sequence(
      extension('2.5.29.19', true, sequence(tlv(0x01, Buffer.from([0xff])))),
      extension('2.5.29.17', false, alternativeNames),
    ),
  )

  const serial = randomBytes(16)
  serial[0] = serial[0]! & 0x7f
  const toBeSigned = sequence(
    tlv(0xa0, positiveInteger(Buffer.from([2]))),
    positiveInteger(serial),
    ecdsaWithSha256,
    name,
    sequence(utcTime(new Date(now - day)), utcTime(new Date(now + day))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    extensions,
  )
  const signature = sign('sha256', toBeSigned, privateKey)
  const certificate = sequence(toBeSigned, ecdsaWithSha256, tlv(0x03, Buffer.from([0]), signature))

  const base64Lines = certificate.toString('base64').match(/.{1,64}/g) ?? []
  return {
    certPem: `-----BEGIN CERTIFICATE-----\n${base64Lines.join('\n')}\n-----END CERTIFICATE-----\n`,
    keyPem: String(privateKey.export({ type: 'pkcs8', format: 'pem' })),
  }
}
