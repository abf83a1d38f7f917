// The sandbox's stand-in for Pro Santé Connect: an OpenID provider (npm `oidc-provider` 9) on
// 127.0.0.1 over HTTPS, with CIBA in poll mode, authorization code + PKCE for a native client,
// refresh, introspection (for Dovecot), revocation, userinfo and end_session.
//
// Client authentication: none (native), client_secret_basic (ciba, dovecot), private_key_jwt
// (ciba_jwt, RFC 7523) and tls_client_auth (ciba_mtls, RFC 8705, certificate-bound tokens). The
// HTTPS server requests a client certificate on every connection without requiring one; only a
// certificate that chains to the sandbox CA counts (`socket.authorized`).
//
// Usage: node server.mjs CONFIG.json   (the file is written by tests/sandbox/oidc_provider.py)
//
// Besides the OpenID endpoints, /_sandbox/* is a test-control API playing "the user's phone or
// card": CIBA requests are approved, refused or expired only from there, never automatically.

import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { parse as parseQuery, stringify as stringifyQuery } from 'node:querystring';

import Provider, { errors } from 'oidc-provider';

const CIBA_GRANT = 'urn:openid:params:grant-type:ciba';
// PSC is a Keycloak realm: mirror its endpoint paths so that anything hard-coding a path instead of
// reading discovery shows up as a bug against the sandbox too.
const ROUTES = {
  authorization: '/protocol/openid-connect/auth',
  backchannel_authentication: '/protocol/openid-connect/ext/ciba/auth',
  end_session: '/protocol/openid-connect/logout',
  introspection: '/protocol/openid-connect/token/introspect',
  jwks: '/protocol/openid-connect/certs',
  revocation: '/protocol/openid-connect/revoke',
  token: '/protocol/openid-connect/token',
  userinfo: '/protocol/openid-connect/userinfo',
};

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const now = () => Math.floor(Date.now() / 1000);
const log = (...args) => console.log(new Date().toISOString(), ...args);

// Settings the control API may change while running (tests needing short-lived tokens).
const settings = {
  access_token_ttl: config.ttl?.access_token ?? 300,
  refresh_token_ttl: config.ttl?.refresh_token ?? 8 * 3600,
  id_token_ttl: config.ttl?.id_token ?? 300,
  ciba_request_ttl: config.ttl?.ciba_request ?? 120,
  ciba_interval: config.ciba?.interval ?? 1,
};

// --- accounts -------------------------------------------------------------------------------
const accountsBySub = new Map();
const subByNationalId = new Map();
for (const account of config.accounts) {
  accountsBySub.set(account.sub, account);
  subByNationalId.set(account.national_id, account.sub);
}

function resolveLogin(value) {
  const text = String(value ?? '').trim();
  if (accountsBySub.has(text)) return text;
  if (subByNationalId.has(text)) return subByNationalId.get(text);
  const lower = text.toLowerCase();
  for (const sub of accountsBySub.keys()) {
    if (sub.toLowerCase() === lower) return sub;
  }
  return undefined;
}

async function findAccount(_ctx, sub) {
  const account = accountsBySub.get(sub);
  if (!account) return undefined;
  return {
    accountId: sub,
    async claims() {
      return {
        sub,
        SubjectNameID: account.national_id,
        given_name: account.given_name,
        family_name: account.family_name,
        email: sub,
        preferred_username: account.national_id,
      };
    },
  };
}

// --- CIBA bookkeeping -------------------------------------------------------------------------
// auth_req_id -> what the "authentication device" shows, and what happened to the request.
const cibaRequests = new Map();
// auth_req_id -> { last: ms of last poll, interval: s } for slow_down.
const cibaPolls = new Map();

function cibaSummary(id, entry) {
  return { auth_req_id: id, ...entry };
}

// --- provider -------------------------------------------------------------------------------
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'sandbox-rs256', use: 'sig', alg: 'RS256' };

const clients = [
  {
    client_id: config.clients.native.client_id,
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [config.clients.native.redirect_uri],
    post_logout_redirect_uris: [config.clients.native.post_logout_redirect_uri],
  },
  {
    client_id: config.clients.ciba.client_id,
    client_secret: config.clients.ciba.client_secret,
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: [CIBA_GRANT, 'refresh_token'],
    response_types: [],
    redirect_uris: [],
    backchannel_token_delivery_mode: 'poll',
  },
  {
    // Dovecot's oauth2 passdb: only introspects (RFC 7662, POST + HTTP basic).
    client_id: config.clients.dovecot.client_id,
    client_secret: config.clients.dovecot.client_secret,
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: [],
    response_types: [],
    redirect_uris: [],
  },
];
if (config.clients.ciba_jwt) {
  // RFC 7523 client assertion signed with the key oidc_provider.py drew for this run.
  clients.push({
    client_id: config.clients.ciba_jwt.client_id,
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: config.clients.ciba_jwt.algorithm,
    jwks: config.clients.ciba_jwt.jwks,
    grant_types: [CIBA_GRANT, 'refresh_token'],
    response_types: [],
    redirect_uris: [],
    backchannel_token_delivery_mode: 'poll',
  });
}
if (config.clients.ciba_mtls) {
  // RFC 8705 §2.1: the certificate of the TLS handshake is the credential; tokens are bound to it.
  clients.push({
    client_id: config.clients.ciba_mtls.client_id,
    token_endpoint_auth_method: 'tls_client_auth',
    tls_client_auth_subject_dn: config.clients.ciba_mtls.subject_dn,
    tls_client_certificate_bound_access_tokens: true,
    grant_types: [CIBA_GRANT, 'refresh_token'],
    response_types: [],
    redirect_uris: [],
    backchannel_token_delivery_mode: 'poll',
  });
}

// --- mutual TLS (RFC 8705) --------------------------------------------------------------------
function peerCertificate(ctx) {
  const socket = ctx.socket ?? ctx.req?.socket;
  const peer = typeof socket?.getPeerCertificate === 'function' ? socket.getPeerCertificate() : undefined;
  if (!peer?.raw) return undefined;
  return new X509Certificate(peer.raw);
}

// RFC 4514 (most significant RDN last, comma-separated) to Node's subject text (one "K=V" line per
// RDN, in certificate order). The sandbox's client DNs are plain ASCII without escapes.
function rfc4514ToNodeSubject(dn) {
  return String(dn).split(/(?<!\\),/).map((part) => part.trim()).reverse().join('\n');
}

const provider = new Provider(config.issuer, {
  clients,
  findAccount,
  jwks: { keys: [signingKey] },
  cookies: { keys: config.cookie_keys },
  routes: ROUTES,
  scopes: ['openid', 'offline_access', 'scope_all'],
  claims: {
    openid: ['sub'],
    scope_all: ['SubjectNameID', 'given_name', 'family_name', 'email', 'preferred_username'],
  },
  acrValues: ['eidas1'],
  // tls_client_auth is not among the library's default methods (the others are).
  clientAuthMethods: ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt', 'tls_client_auth'],
  responseTypes: ['code'],
  extraParams: ['channel'],
  pkce: { required: () => true },
  // PSC hands out refresh tokens without offline_access; the client ends its session when the
  // refresh token dies (ECO.1.2.6).
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  ttl: {
    AccessToken: () => settings.access_token_ttl,
    IdToken: () => settings.id_token_ttl,
    RefreshToken: () => settings.refresh_token_ttl,
    AuthorizationCode: 60,
    BackchannelAuthenticationRequest: (ctx) => {
      const requested = Number(ctx?.oidc?.params?.requested_expiry);
      return requested > 0 ? Math.min(requested, settings.ciba_request_ttl) : settings.ciba_request_ttl;
    },
    Interaction: 600,
    Session: 8 * 3600,
    Grant: 8 * 3600,
  },
  interactions: {
    url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
  },
  features: {
    devInteractions: { enabled: false },
    introspection: {
      enabled: true,
      // Dovecot (the resource server) may introspect any token; other clients only their own.
      allowedPolicy: async (_ctx, client, token) => client.clientId === config.clients.dovecot.client_id
        || token.clientId === client.clientId,
    },
    revocation: {
      enabled: true,
      allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
    },
    userinfo: { enabled: true },
    mTLS: {
      enabled: true,
      tlsClientAuth: true,
      certificateBoundAccessTokens: true,
      getCertificate: (ctx) => peerCertificate(ctx),
      // The handshake verified the chain against the sandbox CA only (server option `ca`), with the
      // TLS client purpose (extended key usage clientAuth); a rogue chain leaves authorized false.
      certificateAuthorized: (ctx) => (ctx.socket ?? ctx.req?.socket)?.authorized === true,
      certificateSubjectMatches(ctx, property, expected) {
        const cert = peerCertificate(ctx);
        if (!cert || property !== 'tls_client_auth_subject_dn') return false;
        return cert.subject === rfc4514ToNodeSubject(expected);
      },
    },
    rpInitiatedLogout: {
      enabled: true,
      // Own pages: the library's defaults pull web fonts from the internet.
      async logoutSource(ctx, form) {
        ctx.type = 'html';
        ctx.body = `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Déconnexion</title></head>
<body><h1>Se déconnecter de Pro Santé Connect (bac à sable) ?</h1>${form}
<button type="submit" form="op.logoutForm" value="yes" name="logout">Oui, me déconnecter</button>
<button type="submit" form="op.logoutForm">Non, rester connecté</button></body></html>`;
      },
      async postLogoutSuccessSource(ctx) {
        ctx.type = 'html';
        ctx.body = '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Déconnecté</title></head><body><p>Vous êtes déconnecté.</p></body></html>';
      },
    },
    ciba: {
      enabled: true,
      deliveryModes: ['poll'],
      async processLoginHint(ctx, loginHint) {
        const { channel } = ctx.oidc.params;
        if (channel !== undefined && !['CARD', 'MOBILE'].includes(channel)) {
          throw new errors.InvalidRequest('channel must be CARD or MOBILE');
        }
        const acr = ctx.oidc.params.acr_values;
        if (acr !== undefined && acr !== 'eidas1') {
          throw new errors.InvalidRequest('acr_values must be eidas1');
        }
        // PSC identifies the professional by national id: 8 + RPPS (or 0 + ADELI).
        return subByNationalId.get(String(loginHint).trim());
      },
      async verifyUserCode(_ctx, _account, userCode) {
        if (userCode) throw new errors.InvalidUserCode('user_code is not supported');
      },
      async validateBindingMessage(_ctx, bindingMessage) {
        if (bindingMessage !== undefined && !/^[0-9]{2}$/.test(bindingMessage)) {
          throw new errors.InvalidBindingMessage('binding_message must be 2 digits');
        }
      },
      async validateRequestContext() {},
      async processLoginHintToken() {
        throw new errors.InvalidRequest('login_hint_token is not supported');
      },
      async triggerAuthenticationDevice(ctx, request, account, client) {
        const { params } = ctx.oidc;
        cibaRequests.set(request.jti, {
          status: 'pending',
          login_hint: params.login_hint,
          sub: account.accountId,
          binding_message: params.binding_message ?? null,
          channel: params.channel ?? null,
          acr_values: params.acr_values ?? null,
          scope: request.scope,
          client_id: client.clientId,
          created_at: now(),
          expires_at: request.exp,
        });
        cibaPolls.set(request.jti, { last: 0, interval: settings.ciba_interval });
        ctx.body.interval = settings.ciba_interval;
        log('ciba request', request.jti, 'for', account.accountId, 'channel', params.channel);
      },
    },
  },
  renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = `<!doctype html><meta charset="utf-8"><title>Erreur</title><h1>Erreur</h1><pre>${escapeHtml(JSON.stringify(out, null, 2))}</pre>`;
  },
});

provider.on('server_error', (_ctx, err) => log('server_error', err));
provider.on('grant.error', (_ctx, err) => log('grant.error', err.error, err.error_description, err.error_detail ?? ''));
provider.on('backchannel.error', (_ctx, err) => log('backchannel.error', err.error, err.error_description, err.error_detail ?? ''));
provider.on('backchannel_authentication.error', (_ctx, err) => log('backchannel_authentication.error', err.error, err.error_description, err.error_detail ?? ''));
provider.on('introspection.error', (_ctx, err) => log('introspection.error', err.error, err.error_description));

// grantId -> { accountId, clientId }: lets the control API revoke every grant of a person.
const grants = new Map();
provider.on('grant.saved', (grant) => grants.set(grant.jti, { accountId: grant.accountId, clientId: grant.clientId }));

const GRANTABLE = ['AccessToken', 'RefreshToken', 'AuthorizationCode', 'BackchannelAuthenticationRequest'];

async function revokeGrant(grantId) {
  await Promise.all(GRANTABLE.map((model) => provider[model].adapter.revokeByGrantId(grantId)));
  await provider.Grant.adapter.destroy(grantId);
  grants.delete(grantId);
}

// --- helpers --------------------------------------------------------------------------------
function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res, status, body, headers = {}) {
  const data = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(data),
    ...headers,
  });
  res.end(data);
}

function sendHtml(res, status, html) {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(html);
}

function parseJsonBody(text) {
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    return parseQuery(text);
  }
}

// --- login page (the PSC login the user would see in the browser) -----------------------------
function loginPage(uid, { hint = '', error = '' } = {}) {
  return `<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Pro Santé Connect (bac à sable)</title></head>
<body>
<h1>Pro Santé Connect — bac à sable Estafette</h1>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}">
  <label>Identifiant (adresse MSSanté ou identifiant national)
    <input type="text" name="login" value="${escapeHtml(hint)}" required autofocus>
  </label>
  <button type="submit" name="action" value="login">Se connecter</button>
  <button type="submit" name="action" value="abort" formnovalidate>Annuler</button>
</form>
</body></html>`;
}

async function handleInteraction(req, res, uid) {
  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch (err) {
    sendHtml(res, 400, `<!doctype html><meta charset="utf-8"><p>Session de connexion introuvable ou expirée (${escapeHtml(err.message)}).</p>`);
    return;
  }
  if (details.uid !== uid) {
    sendHtml(res, 400, '<!doctype html><meta charset="utf-8"><p>Session de connexion incohérente.</p>');
    return;
  }
  if (req.method === 'GET') {
    sendHtml(res, 200, loginPage(uid, { hint: details.params.login_hint ?? '' }));
    return;
  }
  if (req.method !== 'POST') {
    sendHtml(res, 405, 'method not allowed');
    return;
  }
  const form = parseQuery(await readBody(req));
  if (form.action === 'abort') {
    await provider.interactionFinished(req, res, {
      error: 'access_denied', error_description: 'End-User aborted interaction',
    }, { mergeWithLastSubmission: false });
    return;
  }
  const sub = resolveLogin(form.login);
  if (!sub) {
    sendHtml(res, 200, loginPage(uid, { hint: String(form.login ?? ''), error: 'Identifiant inconnu.' }));
    return;
  }
  // PSC shows no consent screen: log in and grant what the client asked for in one step.
  const { params } = details;
  let grant;
  if (details.grantId) grant = await provider.Grant.find(details.grantId);
  grant ??= new provider.Grant({ accountId: sub, clientId: params.client_id });
  if (params.scope) grant.addOIDCScope(params.scope);
  const missingClaims = details.prompt.details?.missingOIDCClaims;
  if (missingClaims) grant.addOIDCClaims(missingClaims);
  const grantId = await grant.save();
  log('code flow login', sub, 'client', params.client_id);
  await provider.interactionFinished(req, res, {
    login: { accountId: sub, acr: 'eidas1', amr: ['pwd'] },
    consent: { grantId },
  }, { mergeWithLastSubmission: false });
}

// --- test-control API -----------------------------------------------------------------------
async function findCibaRequest(id) {
  return provider.BackchannelAuthenticationRequest.find(id, { ignoreExpiration: true });
}

async function handleControl(req, res, path) {
  const url = new URL(req.url, config.issuer);
  const body = req.method === 'POST' ? parseJsonBody(await readBody(req)) : {};

  if (path === '/_sandbox/health') {
    sendJson(res, 200, { ok: true, issuer: config.issuer });
    return;
  }
  if (path === '/_sandbox/settings') {
    if (req.method === 'POST') {
      const previous = { ...settings };
      for (const [key, value] of Object.entries(body)) {
        if (!(key in settings)) {
          sendJson(res, 400, { error: `unknown setting ${key}` });
          return;
        }
        const number = Number(value);
        if (!(number > 0)) {
          sendJson(res, 400, { error: `${key} must be a positive number` });
          return;
        }
        settings[key] = number;
      }
      sendJson(res, 200, { previous, settings });
      return;
    }
    sendJson(res, 200, { settings });
    return;
  }
  if (path === '/_sandbox/ciba/requests' && req.method === 'GET') {
    const all = url.searchParams.get('all') === '1';
    const sub = url.searchParams.get('sub');
    const list = [];
    for (const [id, entry] of cibaRequests) {
      if (entry.status === 'pending' && entry.expires_at <= now()) entry.status = 'expired';
      if (!all && entry.status !== 'pending') continue;
      if (sub && entry.sub !== sub) continue;
      list.push(cibaSummary(id, entry));
    }
    sendJson(res, 200, { requests: list });
    return;
  }
  const match = /^\/_sandbox\/ciba\/requests\/([^/]+)\/(approve|refuse|expire|interval)$/.exec(path);
  if (match && req.method === 'POST') {
    const [, id, action] = match;
    const entry = cibaRequests.get(id);
    const request = await findCibaRequest(id);
    if (!entry || !request) {
      sendJson(res, 404, { error: 'unknown auth_req_id' });
      return;
    }
    if (action === 'interval') {
      const seconds = Number(body.seconds);
      if (!(seconds > 0)) {
        sendJson(res, 400, { error: 'seconds must be a positive number' });
        return;
      }
      cibaPolls.get(id).interval = seconds;
      sendJson(res, 200, cibaSummary(id, entry));
      return;
    }
    if (entry.status !== 'pending') {
      sendJson(res, 409, { error: `request is already ${entry.status}` });
      return;
    }
    if (action === 'approve') {
      if (request.isExpired) {
        entry.status = 'expired';
        sendJson(res, 409, { error: 'request is already expired' });
        return;
      }
      const grant = new provider.Grant({ accountId: request.accountId, clientId: request.clientId });
      grant.addOIDCScope(request.scope);
      await grant.save();
      await provider.backchannelResult(request, grant, {
        acr: 'eidas1',
        amr: entry.channel === 'CARD' ? ['sc', 'pin'] : ['mfa'],
        authTime: now(),
      });
      entry.status = 'approved';
    } else if (action === 'refuse') {
      await provider.backchannelResult(request, new errors.AccessDenied('the end-user refused the request'));
      entry.status = 'refused';
    } else {
      // Keep the record findable but past its exp, so that polling yields expired_token.
      const adapter = provider.BackchannelAuthenticationRequest.adapter;
      const stored = await adapter.find(id);
      stored.exp = now() - 1;
      await adapter.upsert(id, stored, 600);
      entry.status = 'expired';
      entry.expires_at = stored.exp;
    }
    log('ciba', action, id);
    sendJson(res, 200, cibaSummary(id, entry));
    return;
  }
  if (path === '/_sandbox/revoke' && req.method === 'POST') {
    // { "sub": login } revokes every grant of that person (PSC session ended elsewhere);
    // { "token": access or refresh token } revokes the grant behind that token;
    // { "grant_id": id } revokes one grant.
    const targets = new Set();
    if (body.grant_id) targets.add(String(body.grant_id));
    if (body.token) {
      for (const model of ['RefreshToken', 'AccessToken']) {
        const token = await provider[model].find(String(body.token), { ignoreExpiration: true });
        if (token?.grantId) targets.add(token.grantId);
      }
    }
    if (body.sub) {
      for (const [grantId, grant] of grants) {
        if (grant.accountId === body.sub) targets.add(grantId);
      }
    }
    for (const grantId of targets) await revokeGrant(grantId);
    log('revoked grants', [...targets]);
    sendJson(res, 200, { revoked_grants: targets.size });
    return;
  }
  sendJson(res, 404, { error: 'unknown control endpoint' });
}

// --- slow_down for CIBA polling (the library leaves pacing to the deployment) ------------------
// Returns the raw body when the request may go on to the provider, or undefined once answered.
async function cibaPacing(req, res) {
  const raw = await readBody(req);
  const params = parseQuery(raw);
  if (params.grant_type === CIBA_GRANT && typeof params.auth_req_id === 'string') {
    const poll = cibaPolls.get(params.auth_req_id);
    if (poll) {
      const nowMs = Date.now();
      const tooFast = poll.last && nowMs - poll.last < poll.interval * 1000;
      poll.last = nowMs;
      if (tooFast) {
        // CIBA §11: the client must add at least 5 s to its interval from now on.
        poll.interval += 5;
        sendJson(res, 400, {
          error: 'slow_down',
          error_description: 'you are polling too quickly and should back off',
        });
        return undefined;
      }
    }
  }
  return raw;
}

// Dovecot's oauth2 passdb (introspection_mode = post) sends its credentials both as HTTP basic
// (from the URL) and as client_id/client_secret in the body; oidc-provider refuses two mechanisms.
// When both carry the same credentials, keep only the basic header; different ones stay refused.
function dedupeClientAuth(req, raw) {
  const header = req.headers.authorization ?? '';
  const params = parseQuery(raw);
  if (!header.toLowerCase().startsWith('basic ') || params.client_secret === undefined) return raw;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return raw;
  let id;
  let secret;
  try {
    id = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
    secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
  } catch {
    return raw;
  }
  if (id !== params.client_id || secret !== params.client_secret) return raw;
  delete params.client_id;
  delete params.client_secret;
  return stringifyQuery(params);
}

const providerCallback = provider.callback();

async function handle(req, res) {
  const remote = req.socket.remoteAddress;
  const url = new URL(req.url, config.issuer);
  const path = url.pathname;
  try {
    if (path.startsWith('/_sandbox/')) {
      if (remote !== '127.0.0.1' && remote !== '::ffff:127.0.0.1') {
        sendJson(res, 403, { error: 'control API is local only' });
        return;
      }
      await handleControl(req, res, path);
      return;
    }
    const interaction = /^\/interaction\/([A-Za-z0-9_-]+)$/.exec(path);
    if (interaction) {
      await handleInteraction(req, res, interaction[1]);
      return;
    }
    if (path === '/.well-known/wallet-openid-configuration') {
      // PSC publishes its discovery document under this name; serve the standard one.
      req.url = `/.well-known/openid-configuration${url.search}`;
    }
    if (path === ROUTES.token && req.method === 'POST') {
      const raw = await cibaPacing(req, res);
      if (raw === undefined) return;
      // The stream is consumed; oidc-provider falls back to req.body for an already-read body.
      req.body = raw;
    } else if (path === ROUTES.introspection && req.method === 'POST') {
      req.body = dedupeClientAuth(req, await readBody(req));
    }
    providerCallback(req, res);
  } catch (err) {
    log('sandbox handler error', err);
    if (!res.headersSent) sendJson(res, 500, { error: 'server_error', error_description: String(err.message) });
    else res.end();
  }
}

const server = createServer({
  cert: readFileSync(config.cert),
  key: readFileSync(config.key),
  minVersion: 'TLSv1.2',
  // Ask every client for a certificate but let those without one in (public and secret-based
  // clients, Dovecot): tls_client_auth then checks `authorized` itself.
  ...(config.client_ca ? { ca: readFileSync(config.client_ca), requestCert: true, rejectUnauthorized: false } : {}),
}, (req, res) => { handle(req, res); });

server.listen(config.port, config.host, () => {
  log(`oidc sandbox listening on ${config.host}:${config.port}, issuer ${config.issuer}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => process.exit(0));
}
