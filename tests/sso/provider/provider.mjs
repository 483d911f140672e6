// A real OpenID Connect provider (the oidc-provider package) for the single sign-on
// tests. It runs on 127.0.0.1 only, with the client and the people given in a JSON
// file, and has its own plain sign-in page: a person types an email address and
// password from that file. Consent is taken as given for the one client, as an
// organisation's own identity provider (Entra ID with admin consent) does.
//
//   node provider.mjs config.json
//
// config.json: {"port": 0, "client": {"client_id", "client_secret", "redirect_uris"},
//               "accounts": {"<id>": {"password", "claims": {"email", ...}}}}
// It prints "ready <issuer>" once it listens.

import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = config.accounts;

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function signInPage(uid, error) {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Test identity provider</title></head>
<body><main><h1>Test identity provider</h1>
${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}">
<label for="email">Email address</label> <input id="email" name="email" type="email" required>
<label for="password">Password</label> <input id="password" name="password" type="password" required>
<button type="submit">Continue</button>
</form></main></body></html>`;
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 10000) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

function accountFor(email, password) {
  for (const [id, account] of Object.entries(accounts)) {
    if (account.claims.email === email && account.password === password) return id;
  }
  return undefined;
}

async function start() {
  const server = http.createServer();
  await new Promise((resolve) => { server.listen(config.port || 0, '127.0.0.1', resolve); });
  const issuer = `http://127.0.0.1:${server.address().port}`;

  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' };

  const provider = new Provider(issuer, {
    clients: [{
      ...config.client,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    }],
    jwks: { keys: [signingKey] },
    cookies: { keys: ['only-for-tests-on-this-machine'] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name'],
    },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(ctx, id) {
      const account = accounts[id];
      if (!account) return undefined;
      return { accountId: id, async claims() { return { sub: id, ...account.claims }; } };
    },
    async loadExistingGrant(ctx) {
      const { provider: op, client, session } = ctx.oidc;
      const grant = new op.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
  });

  const callback = provider.callback();
  server.on('request', async (req, res) => {
    const match = new URL(req.url, issuer).pathname.match(/^\/interaction\/([\w-]+)$/);
    if (!match) {
      callback(req, res);
      return;
    }
    try {
      const details = await provider.interactionDetails(req, res);
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      if (req.method === 'GET') {
        res.end(signInPage(match[1]));
        return;
      }
      const form = await readForm(req);
      const accountId = accountFor(form.get('email'), form.get('password'));
      if (!accountId || details.prompt.name !== 'login') {
        res.statusCode = 200;
        res.end(signInPage(match[1], 'That email address and password do not match an account.'));
        return;
      }
      await provider.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
    } catch (error) {
      res.statusCode = 400;
      res.end(escapeHtml(error.message));
    }
  });
  console.log(`ready ${issuer}`);
}

start().catch((error) => {
  console.error(error);
  process.exit(1);
});
