/**
 * AgentGate chat — `npm run demo:chat`. A web chat whose agent (AI SDK `streamText`) acts for the signed-in user:
 * sign in on the dev server's real login page, then ask about your calendar, the team documents, or a refund.
 * Scripted model by default; OpenAI or Anthropic when OPENAI_API_KEY or ANTHROPIC_API_KEY is set. PORT picks the
 * chat's port (default 3001; 0 = any free port).
 */
import { startChatApp } from './src/chat-app';

const app = await startChatApp({ port: Number(process.env.PORT ?? 3001) });
console.log(`AgentGate chat: ${app.url}`);
console.log(`model:          ${app.modelLabel}`);
console.log(`dev server:     ${app.devServer.issuer}`);
console.log(`approval inbox: ${app.devServer.url('/inbox')}`);
console.log(`audit file:     ${app.agent.auditFile}`);
console.log('Sign in as alice@acme / alice-password or bob@acme / bob-password. Ctrl+C stops.');

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await app.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
