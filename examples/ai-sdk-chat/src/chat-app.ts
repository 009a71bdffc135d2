/**
 * Starts the chat web app: the embedded dev server (login, token vault, CIBA, OpenFGA) in this process, AgentGate
 * around the agent's tools, and a Hono server with the page, the sign-in routes and the chat endpoint.
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type DevClient, type DevServer, defaultSeed, startDevServer } from '@agentgate/dev-server';
import { createLogin } from '@agentgate/identity';
import { createAdaptorServer } from '@hono/node-server';
import type { LanguageModel } from 'ai';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { type ChatAgent, createChatAgent, type Refund } from './agentgate';
import { chatRoute } from './chat-route';
import { bundleClient } from './client-bundle';
import { chooseModel } from './model';
import { chatPage, contentSecurityPolicy, signedOutPage } from './page';
import { ChatSessions } from './sign-in';
import { chatStyles } from './styles';

export interface StartChatAppOptions {
  /** Port of the chat page; 0 (default) picks a free one. */
  port?: number;
  /** The model; by default the scripted one, or a real provider when its API key is set. */
  model?: LanguageModel;
  /** The dev server's CIBA polling interval, seconds. @default 1 */
  cibaIntervalSeconds?: number;
}

export interface ChatApp {
  /** The chat page: `http://127.0.0.1:PORT/`. */
  url: string;
  /** The embedded dev server (its inbox is the user's "phone"). */
  devServer: DevServer;
  agent: ChatAgent;
  /** Refunds that really ran. */
  refunds: readonly Refund[];
  /** Which model answers. */
  modelLabel: string;
  close(): Promise<void>;
}

export async function startChatApp(options: StartChatAppOptions = {}): Promise<ChatApp> {
  const script = bundleClient(); // meanwhile the servers start
  script.catch(() => undefined); // awaited below
  // Listen first: the redirect URI registered at the dev server carries the port.
  let handle: (request: Request) => Response | Promise<Response> = () =>
    new Response('starting', { status: 503 });
  const http = createAdaptorServer({ fetch: (request: Request) => handle(request) }) as Server;
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;

  let devServer: DevServer | undefined;
  let agent: ChatAgent | undefined;
  try {
    const chatClient: DevClient = {
      clientId: 'agentgate-chat',
      clientSecret: randomBytes(24).toString('base64url'),
      name: 'AgentGate Chat',
      redirectUris: [`${origin}/callback`],
    };
    devServer = await startDevServer({
      seed: { ...defaultSeed, clients: [...defaultSeed.clients, chatClient] },
      cibaIntervalSeconds: options.cibaIntervalSeconds ?? 1,
    });
    const refunds: Refund[] = [];
    agent = await createChatAgent({
      server: devServer,
      client: chatClient,
      onRefund: (refund) => refunds.push(refund),
    });
    const login = createLogin({
      issuer: devServer.issuer,
      clientId: chatClient.clientId,
      clientSecret: chatClient.clientSecret,
      redirectUri: `${origin}/callback`,
      resource: devServer.apiAudience,
      scope: 'openid profile email calendar:read docs:read refunds:write',
      allowInsecureRequests: true, // http://127.0.0.1 only
    });
    const chosen = options.model ? { model: options.model, label: 'the given model' } : chooseModel();
    const clientScript = await script;
    const sessions = new ChatSessions();

    const app = new Hono();
    app.use(async (context, next) => {
      await next();
      context.header('Content-Security-Policy', contentSecurityPolicy);
      context.header('X-Content-Type-Options', 'nosniff');
      context.header('Referrer-Policy', 'no-referrer');
      context.header('Cache-Control', 'no-store');
    });
    app.get('/', (context) => {
      const user = sessions.userOf(context);
      if (user === undefined) return context.html(signedOutPage());
      const userName = user.session.user.name ?? user.session.user.email ?? user.session.user.sub;
      return context.html(chatPage({ userName, inboxUrl: devServer!.url('/inbox') }));
    });
    app.get('/styles.css', (context) =>
      context.body(chatStyles, 200, { 'content-type': 'text/css; charset=utf-8' }),
    );
    app.get('/chat.js', (context) =>
      context.body(clientScript, 200, { 'content-type': 'text/javascript; charset=utf-8' }),
    );
    sessions.install(app, login, `${origin}/callback`);
    app.post(
      '/api/chat',
      bodyLimit({ maxSize: 512 * 1024 }),
      chatRoute({ sessions, agent, model: chosen.model, origin }),
    );
    handle = (request) => app.fetch(request);

    const started = { devServer, agent };
    return {
      url: `${origin}/`,
      devServer,
      agent,
      refunds,
      modelLabel: chosen.label,
      async close() {
        await new Promise<void>((resolve) => {
          http.close(() => resolve());
          http.closeAllConnections();
        });
        await started.agent.close();
        await started.devServer.close();
      },
    };
  } catch (error) {
    http.close();
    await agent?.close();
    await devServer?.close();
    throw error;
  }
}
