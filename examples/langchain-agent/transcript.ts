/**
 * The demo's transcript: who said what, which tool the model called, and what the gate decided and why — one line
 * each, aligned by speaker. Colour only when the output is a terminal (and `NO_COLOR` is not set); piped output and
 * the test get plain text.
 */
import { styleText } from 'node:util';

/** Where the transcript goes: `process.stdout`, or anything with `write` (the test collects into a string). */
export interface DemoOutput {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

type Style = Parameters<typeof styleText>[0];

/** Writes the transcript's kinds of lines. */
export interface Transcript {
  /** A new part of the story. */
  heading(text: string): void;
  /** A fact under a heading (dimmed). */
  detail(text: string): void;
  /** What a user typed. */
  user(name: string, text: string): void;
  /** A tool call the model issued. */
  toolCall(name: string, args: unknown): void;
  /** The model's answer. */
  reply(text: string): void;
  /** The gate let a call run; `why` lists the guards' decisions. */
  allowed(tool: string, why: string): void;
  /** The gate refused a call, or ended it (`verb`: an approval denied or expired). */
  denied(tool: string, code: string, message: string, verb?: string): void;
  /** The gate paused a call for the user: connect, approve. */
  paused(tool: string, code: string, what: string): void;
  /** Something the demo does in the user's place (the phone, the connect page). */
  acts(who: string, text: string): void;
  /** A plain line, indented. */
  line(text: string): void;
}

/** Whether to colour `output`: a terminal, and `NO_COLOR` unset. */
export function wantsColour(output: DemoOutput): boolean {
  return output.isTTY === true && !process.env['NO_COLOR'];
}

export function createTranscript(output: DemoOutput, options: { colour?: boolean } = {}): Transcript {
  const colour = options.colour ?? wantsColour(output);
  const paint = (style: Style, text: string) =>
    colour ? styleText(style, text, { validateStream: false }) : text;
  const write = (speaker: string, speakerStyle: Style, text: string, style?: Style) =>
    output.write(`${paint(speakerStyle, speaker.padStart(8))}  ${style ? paint(style, text) : text}\n`);

  return {
    heading: (text) => output.write(`\n${paint(['bold', 'cyan'], `━━ ${text}`)}\n`),
    detail: (text) => output.write(`${' '.repeat(10)}${paint('dim', text)}\n`),
    user: (name, text) => write(name, 'bold', `▸ ${text}`, 'bold'),
    toolCall: (name, args) => write('model', 'magenta', `→ ${name} ${JSON.stringify(args)}`),
    reply: (text) => write('agent', 'magenta', `◂ ${text}`),
    allowed: (tool, why) => write('gate', 'green', `✓ ${tool} allowed${why ? ` — ${why}` : ''}`, 'green'),
    denied: (tool, code, message, verb = 'denied') =>
      write('gate', 'red', `✗ ${tool} ${verb}: ${code} — ${message}`, 'red'),
    paused: (tool, code, what) => write('gate', 'yellow', `⏸ ${tool} paused: ${code} — ${what}`, 'yellow'),
    acts: (who, text) => write(who, 'blue', text),
    line: (text) => output.write(`${' '.repeat(10)}${text}\n`),
  };
}
