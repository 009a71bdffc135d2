// The docs API on Express, in its own Node process: inside the vitest process Express's router still answers
// 500 ("Cannot set headers after they are sent") — checked again after the `module` condition was removed.
import express from 'express';
import { type ApiCaller, createAccessTokenVerifier, protectApi } from '../../src/index';

const { ISSUER = '', AUDIENCE = '', METADATA = '', AGENT = '' } = process.env;
const verifier = createAccessTokenVerifier({ issuer: ISSUER, audience: AUDIENCE });
const agents = {
  scopes: ['docs:read'],
  allow: ({ actor }: { actor: { sub: string } }) => actor.sub === AGENT,
};
const read = protectApi({ verifier, requiredScopes: ['docs:read'], agents, resourceMetadataUrl: METADATA });
const write = protectApi({ verifier, requiredScopes: ['docs:write'], agents, resourceMetadataUrl: METADATA });
const describeCaller = (caller: ApiCaller) => ({
  user: caller.user.sub,
  actor: caller.actor?.sub ?? null,
  scopes: caller.scopes,
  sessionScopes: caller.session.scopes,
});

const app = express();
app.use('/docs', read.express());
app.get('/docs/list', (_request, response) => {
  response.json(describeCaller(response.locals.agentgateCaller as ApiCaller));
});
app.use('/write', write.express());
app.post('/write/doc', (_request, response) => {
  response.json(describeCaller(response.locals.agentgateCaller as ApiCaller));
});
const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(
    `${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`,
  );
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
