/**
 * AgentGate with a LangChain agent — `npm run demo`. No cloud account and no network: the dev server (OIDC login,
 * token vault with a mock "Acme Calendar", CIBA approvals with an inbox page, the OpenFGA API) runs in this process
 * on 127.0.0.1, and a `createAgent` agent acts for verified users through three gated tools. See README.md.
 *
 *   npm run demo                     scripted model, the "phone" approves the refund
 *   npm run demo -- --interactive    you approve the refund in the inbox page
 *   OPENAI_API_KEY=… npm run demo    a real model drives the same tools
 */
import { parseDemoArguments, USAGE } from './arguments';
import { chooseModel } from './model';
import { runDemo } from './run-demo';

async function main(argv: readonly string[]): Promise<number> {
  let interactive: boolean;
  try {
    const parsed = parseDemoArguments(argv);
    if (parsed.help) {
      console.log(USAGE);
      return 0;
    }
    interactive = parsed.interactive;
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error)); // the message ends with the usage
    return 2;
  }
  const { model, label } = await chooseModel();
  const result = await runDemo({
    output: process.stdout,
    interactive,
    model,
    modelLabel: label,
    keepAuditFile: true,
  });
  return result.chainIntact && !result.tokensInAudit ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
