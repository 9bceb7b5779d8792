// DPoP interop: oauth4webapi (a client library others wrote) against a real
// Tollgate server. Driven by e2e/oauth4webapi_test.go; runnable by hand:
//
//   TOLLGATE_ISSUER=http://127.0.0.1:8080 TOLLGATE_CLIENT_ID=app \
//   TOLLGATE_CLIENT_SECRET=... TOLLGATE_USERNAME=alice TOLLGATE_PASSWORD=... \
//   node dpop.mjs
//
// It discovers the server, makes an ES256 DPoP key, gets a DPoP-bound
// refresh token with the password grant (scope openid offline_access),
// refreshes twice, calls userinfo with the bound access token, and prints
// one JSON line. Every request retries once on use_dpop_nonce, the way the
// library documents (isDPoPNonceError). With TOLLGATE_PAUSE=1 it then waits
// for a line on stdin (the Go test plays a thief meanwhile) and refreshes
// once more, printing a second line. Any failure exits non-zero.
import * as oauth from 'oauth4webapi'
import { createInterface } from 'node:readline'

function env(name) {
  const v = process.env[name]
  if (!v) throw new Error(`${name} is not set`)
  return v
}

const issuer = new URL(env('TOLLGATE_ISSUER'))
const clientID = env('TOLLGATE_CLIENT_ID')
const clientSecret = env('TOLLGATE_CLIENT_SECRET')
const username = env('TOLLGATE_USERNAME')
const password = env('TOLLGATE_PASSWORD')
const pause = process.env.TOLLGATE_PAUSE === '1'

// The test server listens on plain HTTP on loopback.
const insecure = { [oauth.allowInsecureRequests]: true }

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`)
}

let nonceRetries = 0

// withNonceRetry runs request, then process on its response; when the
// server asks for a DPoP nonce (RFC 9449 §8/§9), the DPoP handle has
// already kept the nonce from the answer, so one retry goes through.
async function withNonceRetry(request, process) {
  try {
    return await process(await request())
  } catch (err) {
    if (!oauth.isDPoPNonceError(err)) throw err
    nonceRetries++
    return await process(await request())
  }
}

const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure }))
check(Array.isArray(as.dpop_signing_alg_values_supported) && as.dpop_signing_alg_values_supported.includes('ES256'),
  `discovery advertises ES256 in dpop_signing_alg_values_supported (got ${JSON.stringify(as.dpop_signing_alg_values_supported)})`)

const client = { client_id: clientID }
const clientAuth = oauth.ClientSecretBasic(clientSecret)
const keyPair = await oauth.generateKeyPair('ES256')
const DPoP = oauth.DPoP(client, keyPair)
const jkt = await DPoP.calculateThumbprint()

// Sign in: the password grant, through the library's generic grant call.
let tokens = await withNonceRetry(
  () => oauth.genericTokenEndpointRequest(as, client, clientAuth, 'password',
    { username, password, scope: 'openid offline_access' }, { DPoP, ...insecure }),
  (res) => oauth.processGenericTokenEndpointResponse(as, client, res))
check(tokens.token_type === 'dpop', `sign-in token_type is DPoP (got ${tokens.token_type})`)
check(typeof tokens.refresh_token === 'string' && tokens.refresh_token !== '', 'sign-in returns a refresh token')
const tokenTypes = [tokens.token_type]
const refreshTokens = [tokens.refresh_token]

async function refresh() {
  const prev = tokens.refresh_token
  tokens = await withNonceRetry(
    () => oauth.refreshTokenGrantRequest(as, client, clientAuth, prev, { DPoP, ...insecure }),
    (res) => oauth.processRefreshTokenResponse(as, client, res))
  check(tokens.token_type === 'dpop', `refresh token_type is DPoP (got ${tokens.token_type})`)
  check(typeof tokens.refresh_token === 'string' && tokens.refresh_token !== '' && tokens.refresh_token !== prev,
    'the refresh token rotates')
  tokenTypes.push(tokens.token_type)
  refreshTokens.push(tokens.refresh_token)
}

async function userinfo() {
  const at = tokens.access_token
  const info = await withNonceRetry(
    () => oauth.userInfoRequest(as, client, at, { DPoP, ...insecure }),
    (res) => oauth.processUserInfoResponse(as, client, oauth.skipSubjectCheck, res))
  check(typeof info.sub === 'string' && info.sub !== '', 'userinfo returns sub')
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
  const it = rl[Symbol.asyncIterator]()
  const line = await it.next()
  rl.close()
  check(!line.done, 'a line on stdin to go on')
  await refresh()
  sub = await userinfo()
  process.stdout.write(summary('after-thief') + '\n')
}
