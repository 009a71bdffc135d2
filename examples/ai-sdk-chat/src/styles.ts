/**
 * The chat's stylesheet: the dev server's page look (`devPageStyles` from `@agentgate/dev-server`: phone first,
 * 44 px targets, visible focus, AA contrast) plus the few rules of the chat itself. Served as `/styles.css`.
 */
import { devPageStyles } from '@agentgate/dev-server';

const chatRules = `
.chat-header-inner{max-width:48rem;margin:0 auto;padding:.25rem 1rem;display:flex;flex-wrap:wrap;align-items:center;gap:.25rem 1rem}
.chat-header-inner .brand{margin-right:auto}
main.chat{max-width:48rem;display:flex;flex-direction:column;gap:.75rem}
.conversation{display:flex;flex-direction:column;gap:.75rem}
.message{padding:.75rem 1rem;border-radius:var(--radius);background:var(--surface);border:1px solid var(--border)}
.message.user{align-self:flex-end;background:#e8effd;border-color:#bfd0f6;max-width:85%}
.message>.card{margin:.75rem 0}
.message>.card:last-child{margin-bottom:0}
.card.approval{border:2px solid var(--primary)}
.card.connect{border-left:4px solid var(--primary)}
.card.phone{border-left:4px solid #b45309}
.card.denied{border-left:4px solid var(--danger)}
.card.done{border-left:4px solid #15803d}
.card dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem .75rem;margin:.5rem 0}
.card dt{color:var(--muted)}
.card dd{margin:0}
.tool{color:var(--muted);font-size:.9375rem}
.status{min-height:1.5rem;margin:0;color:var(--muted)}
.composer label{display:block;font-weight:600;margin:0 0 .25rem}
.composer-row{display:flex;gap:.5rem}
.composer-row input{flex:1 1 auto;min-width:0}
`;

export const chatStyles = devPageStyles + chatRules;
