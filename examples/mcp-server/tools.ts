/**
 * The MCP server's tools, registered as any MCP server registers them: a small calendar and the company's
 * documents. Nothing here knows about tokens: the gate hands each tool the verified user (`currentCall()`)
 * and the credentials its guards attached (`getDelegatedToken`).
 */
import { currentCall } from '@agentgate/core';
import { getDelegatedToken } from '@agentgate/token-vault';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';

interface CalendarEvent {
  day: string;
  title: string;
}

/** A calendar per user, in memory. */
const calendars = new Map<string, CalendarEvent[]>([
  ['alice', [{ day: '2026-12-02', title: 'Roadmap review' }]],
  ['bob', [{ day: '2026-12-02', title: 'Onboarding' }]],
]);

const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] });

function currentUser(): string {
  const sub = currentCall()?.session.user.sub;
  if (!sub) throw new Error('no gated call in progress');
  return sub;
}

/** A new McpServer with the calendar and document tools (one per MCP session). */
export function createToolServer(docsApiUrl: string): McpServer {
  const server = new McpServer({ name: 'agentgate-example', version: '1.0.0' });

  server.registerTool(
    'list_events',
    { description: "Lists the user's calendar events of a day", inputSchema: { day: z.iso.date() } },
    ({ day }) => {
      const events = (calendars.get(currentUser()) ?? []).filter((event) => event.day === day);
      return text(
        events.length === 0 ? `No events on ${day}.` : events.map((event) => `- ${event.title}`).join('\n'),
      );
    },
  );

  server.registerTool(
    'create_event',
    {
      description: "Adds an event to the user's calendar",
      inputSchema: { day: z.iso.date(), title: z.string().min(1).max(120) },
    },
    ({ day, title }) => {
      const user = currentUser();
      calendars.set(user, [...(calendars.get(user) ?? []), { day, title }]);
      return text(`Added "${title}" on ${day}.`);
    },
  );

  server.registerTool(
    'read_document',
    {
      description: 'Reads a company document (e.g. acme-onboarding, acme-roadmap, acme-salaries)',
      inputSchema: { id: z.string().regex(/^[a-z0-9-]+$/) },
    },
    async ({ id }) => {
      // The company's own docs API, called on behalf of the user with this server as actor (RFC 8693).
      const response = await fetch(new URL(`documents/${id}`, docsApiUrl), {
        headers: { authorization: `Bearer ${getDelegatedToken(docsApiUrl)}` },
      });
      if (!response.ok) throw new Error(`the docs API answered ${response.status}`);
      const document = (await response.json()) as { title: string; text: string; servedTo: string };
      return text(`${document.title}\n\n${document.text}\n\n(${document.servedTo})`);
    },
  );

  return server;
}
