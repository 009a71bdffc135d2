/** The demo's command line: `main.ts [--interactive] [--help]`. */
import { parseArgs } from 'node:util';

export interface DemoArguments {
  /** Wait for a person to approve the refund in the inbox page instead of the scripted phone. */
  interactive: boolean;
  help: boolean;
}

export const USAGE = `usage: npm run demo [-- --interactive]

  --interactive  approve the refund yourself: the demo prints the inbox URL and waits for your decision
  --help         this text

Set OPENAI_API_KEY (OPENAI_MODEL) or ANTHROPIC_API_KEY (ANTHROPIC_MODEL) to drive the agent with a real model.`;

/**
 * Reads the demo's arguments.
 * @throws TypeError on an unknown option or a stray argument
 */
export function parseDemoArguments(argv: readonly string[]): DemoArguments {
  try {
    const { values } = parseArgs({
      args: argv.filter((argument) => argument !== '--'), // npm and pnpm may pass the separator on
      options: {
        interactive: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
    return { interactive: values.interactive, help: values.help };
  } catch (error) {
    throw new TypeError(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
  }
}
