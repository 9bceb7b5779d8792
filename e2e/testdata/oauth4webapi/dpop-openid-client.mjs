// DPoP interop: openid-client v6 (a client library others wrote) against a
// real Tollgate server. The same flow, environment and output as dpop.mjs
// (read its header), through openid-client's higher-level API, which
// retries on use_dpop_nonce by itself: a fetch wrapper counts the nonce
// challenges the server sent, so the test can see the nonce path ran.
import * as client from 'openid-client'
import { createInterface } from 'node:readline'

function env(name) {
  const v = process.env[name]
  if (!v) throw new Error(`${name} is not set`)
  return v
}

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`)
}

const issuer = new URL(env('TOLLGATE_ISSUER'))
const username = env('TOLLGATE_USERNAME')
const password = env('TOLLGATE_PASSWORD')
const pause = process.env.TOLLGATE_PAUSE === '1'

// nonceRetries counts answers asking for a DPoP nonce (RFC 9449 §8 at the
// token endpoint, §9 at userinfo); openid-client retries each once.
let nonceRetries = 0
async function countingFetch(url, options) {
  const res = await fetch(url, options)
  if (res.status === 400 || res.status === 401) {
    const challenge = res.headers.get('www-authenticate') ?? ''
    const body = await res.clone().text().catch(() => '')
    if (challenge.includes('use_dpop_nonce') || body.includes('"use_dpop_nonce"')) nonceRetries++
  }
  return res
}

// Plain HTTP on loopback in the test, hence allowInsecureRequests.
const config = await client.discovery(issuer, env('TOLLGATE_CLIENT_ID'), undefined,
  client.ClientSecretBasic(env('TOLLGATE_CLIENT_SECRET')),
  { execute: [client.allowInsecureRequests], [client.customFetch]: countingFetch })
const algs = config.serverMetadata().dpop_signing_alg_values_supported
check(Array.isArray(algs) && algs.includes('ES256'), `discovery advertises ES256 for DPoP (got ${JSON.stringify(algs)})`)

const keyPair = await client.randomDPoPKeyPair('ES256')
const DPoP = client.getDPoPHandle(config, keyPair)
const jkt = await DPoP.calculateThumbprint()

let tokens = await client.genericGrantRequest(config, 'password',
  { username, password, scope: 'openid offline_access' }, { DPoP })
check(tokens.token_type === 'dpop', `sign-in token_type is DPoP (got ${tokens.token_type})`)
check(typeof tokens.refresh_token === 'string' && tokens.refresh_token !== '', 'sign-in returns a refresh token')
const tokenTypes = [tokens.token_type]
const refreshTokens = [tokens.refresh_token]

async function refresh() {
  const prev = tokens.refresh_token
  tokens = await client.refreshTokenGrant(config, prev, undefined, { DPoP })
  check(tokens.token_type === 'dpop', `refresh token_type is DPoP (got ${tokens.token_type})`)
  check(typeof tokens.refresh_token === 'string' && tokens.refresh_token !== '' && tokens.refresh_token !== prev,
    'the refresh token rotates')
  tokenTypes.push(tokens.token_type)
  refreshTokens.push(tokens.refresh_token)
}

// The ID token of the sign-in names the subject; a refresh may bring a new one.
let idSub = tokens.claims()?.sub
check(typeof idSub === 'string' && idSub !== '', 'the sign-in ID token names sub')

async function userinfo() {
  const sub = tokens.claims()?.sub ?? idSub
  check(sub === idSub, 'the subject stays the same')
  // fetchUserInfo checks the answer's sub against the ID token's.
  const info = await client.fetchUserInfo(config, tokens.access_token, sub, { DPoP })
  return info.sub
}

await refresh()
await refresh()
let sub = await userinfo()
check(new Set(refreshTokens).size === refreshTokens.length, 'every refresh token differs')

function summary(phase) {
  return JSON.stringify({
    phase, jkt, sub, token_types: tokenTypes, refreshes: refreshTokens.length - 1, nonce_retries: nonceRetries,
    access_token: tokens.access_token, refresh_token: tokens.refresh_token,
  })
}
process.stdout.write(summary('bound') + '\n')

if (pause) {
  const rl = createInterface({ input: process.stdin })
  const line = await rl[Symbol.asyncIterator]().next()
  rl.close()
  check(!line.done, 'a line on stdin to go on')
  await refresh()
  sub = await userinfo()
  process.stdout.write(summary('after-thief') + '\n')
}
