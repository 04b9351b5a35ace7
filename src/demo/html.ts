/**
 * The demo's channel as a Discord-like web page: each message with its text, the embed with its colour
 * bar and fields, the buttons, the thread with its quiet notes, and the ring marked — at the moments
 * the demo chose. Self-contained HTML (inline CSS, no scripts, no network), so a browser or a
 * screenshot shows it as is. Pure: takes the views and a function that turns markup into what people see.
 */
import type { SimChannelView, SimMessageView } from '../sim/discord/index.js';

/** One moment of the story: a caption and the channel as it was then. */
export interface Snapshot {
  /** Local time of the moment, as the demo narrates it (`22:02`). */
  at: string;
  /** The moment itself (simulated clock): relative times on the page are as they read then. */
  now: number;
  caption: string;
  view: SimChannelView;
  /** What the narrator says happened before this moment (the commands people typed, what the bot did). */
  narration: string[];
}

/** Discord button styles: primary, secondary, success, danger, link. */
const BUTTON_CLASS: Record<number, string> = { 1: 'primary', 2: 'secondary', 3: 'success', 4: 'danger', 5: 'link' };

interface EmbedField {
  name: string;
  value: string;
  inline?: boolean;
}
interface Embed {
  title?: string;
  description?: string;
  color?: number;
  fields?: EmbedField[];
  footer?: { text?: string };
}
interface Button {
  type: number;
  label?: string;
  style?: number;
  disabled?: boolean;
  url?: string;
}

/** The page for `snapshots`; `seen` turns Discord markup into what the client shows at a moment, `roleName` names a role id. */
export function channelPage(snapshots: readonly Snapshot[], seen: (text: string, now: number) => string, roleName: (id: string) => string): string {
  const body = snapshots.map((s) => snapshotHtml(s, (text) => seen(text, s.now), roleName)).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>stormguard demo — #${escape(snapshots[0]?.view.name ?? 'incidents')}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header><h1>stormguard demo</h1><p>The real bot against simulated Kubernetes and Discord: node-a goes down for maintenance while Frigate on it is unhealthy.</p></header>
${body}
</main>
</body>
</html>
`;
}

function snapshotHtml(s: Snapshot, seen: (text: string) => string, roleName: (id: string) => string): string {
  const narration = s.narration.length > 0 ? `<ul class="narration">${s.narration.map((n) => `<li>${escape(n)}</li>`).join('')}</ul>` : '';
  const messages = s.view.messages.map((m) => messageHtml(m, seen, roleName)).join('\n');
  return `<section class="moment">
<h2><time>${escape(s.at)}</time> ${escape(s.caption)}</h2>
${narration}
<div class="channel"><div class="channel-name"># ${escape(s.view.name)}</div>
${messages || '<p class="empty">No messages.</p>'}
</div>
</section>`;
}

function messageHtml(m: SimMessageView, seen: (text: string) => string, roleName: (id: string) => string): string {
  const rang = !m.mentions.suppressed && (m.mentions.roles.length > 0 || m.mentions.everyone);
  const ring = rang
    ? `<span class="ring" data-ring>🔔 rang ${m.mentions.roles.map((r) => `@${escape(roleName(r))}`).join(', ')}${m.mentions.everyone ? '@everyone' : ''}</span>`
    : '';
  const edited = m.editCount > 0 ? '<span class="edited">(edited)</span>' : '';
  const thread = m.thread
    ? `<div class="thread${m.thread.archived ? ' archived' : ''}" data-thread>
<div class="thread-name">🧵 ${escape(m.thread.name)} <span class="thread-state">${m.thread.archived ? 'archived' : 'open'} · ${m.thread.messages.length} messages</span></div>
${m.thread.messages.map((t) => noteHtml(t.content, t.mentions.suppressed, seen)).join('\n')}
</div>`
    : '';
  return `<article class="message${rang ? ' mentioned' : ''}">
<div class="avatar">⛈</div>
<div class="body">
<div class="author">stormguard <span class="bot">APP</span> ${ring}</div>
${m.content ? `<div class="content">${inline(seen(m.content))} ${edited}</div>` : ''}
${(m.embeds as Embed[]).map((e) => embedHtml(e, seen)).join('\n')}
${buttonsHtml(m.components)}
${thread}
</div>
</article>`;
}

/** A thread note; `silent` when it was sent with Discord's suppress-notifications flag (no push, no sound). */
function noteHtml(content: string, silent: boolean, seen: (text: string) => string): string {
  return `<div class="note"${silent ? ' data-silent' : ''}>${silent ? '<span class="silent" title="sent silently: no push, no sound">🔕</span> ' : ''}${inline(seen(content))}</div>`;
}

function embedHtml(e: Embed, seen: (text: string) => string): string {
  const colour = `#${(e.color ?? 0x202225).toString(16).padStart(6, '0')}`;
  const fields = (e.fields ?? [])
    .map((f) => `<div class="field${f.inline ? ' inline' : ''}"><div class="field-name">${inline(seen(f.name))}</div><div class="field-value">${inline(seen(f.value))}</div></div>`)
    .join('');
  return `<div class="embed" style="border-left-color: ${colour}" data-colour="${colour}">
${e.title ? `<div class="embed-title">${inline(seen(e.title))}</div>` : ''}
${e.description ? `<div class="embed-description">${inline(seen(e.description))}</div>` : ''}
${fields ? `<div class="fields">${fields}</div>` : ''}
${e.footer?.text ? `<div class="embed-footer">${inline(seen(e.footer.text))}</div>` : ''}
</div>`;
}

function buttonsHtml(components: unknown[]): string {
  const rows = (components as Array<{ components?: Button[] }>).map((row) => row.components ?? []).filter((row) => row.length > 0);
  return rows
    .map(
      (row) =>
        `<div class="buttons">${row
          .map((b) => {
            const cls = BUTTON_CLASS[b.style ?? 2] ?? 'secondary';
            const label = `${escape(b.label ?? '')}${b.style === 5 ? ' ↗' : ''}`;
            return b.style === 5 && b.url
              ? `<a class="button ${cls}" href="${escape(b.url)}">${label}</a>`
              : `<button class="button ${cls}"${b.disabled ? ' disabled' : ''}>${label}</button>`;
          })
          .join('')}</div>`,
    )
    .join('\n');
}

/** Discord's inline markdown that the bot uses (bold, italics, code), after escaping, with mentions as chips. */
function inline(text: string): string {
  return escape(text)
    .replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[^*])\*([^*\n]+)\*/g, '$1<em>$2</em>')
    .replace(/`([^`\n]+)`/g, '<code>$1</code>')
    .replace(/(^|[\s(])(@[a-z0-9][\w-]*)/gi, '$1<span class="mention">$2</span>')
    .replace(/\n/g, '<br>');
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const CSS = `
:root { color-scheme: dark; }
* { box-sizing: border-box; }
body { margin: 0; background: #313338; color: #dbdee1; font: 15px/1.375 "gg sans", "Noto Sans", "Helvetica Neue", Helvetica, Arial, sans-serif; }
main { max-width: 880px; margin: 0 auto; padding: 20px 16px 40px; }
header h1 { font-size: 20px; margin: 0 0 4px; color: #f2f3f5; }
header p { margin: 0 0 16px; color: #b5bac1; }
.moment { margin: 0 0 24px; }
.moment h2 { font-size: 14px; font-weight: 600; color: #f2f3f5; margin: 0 0 6px; }
.moment h2 time { color: #949ba4; font-weight: 500; margin-right: 6px; }
.narration { margin: 0 0 8px; padding-left: 18px; color: #b5bac1; font-size: 13px; }
.channel { background: #313338; border: 1px solid #3f4147; border-radius: 8px; padding: 8px 0; }
.channel-name { color: #949ba4; font-weight: 600; padding: 0 16px 8px; border-bottom: 1px solid #3f4147; margin-bottom: 8px; }
.empty { color: #949ba4; padding: 0 16px; }
.message { display: flex; gap: 14px; padding: 6px 16px; }
.message.mentioned { background: rgba(250, 168, 26, 0.08); box-shadow: inset 2px 0 0 #f0b232; }
.avatar { flex: none; width: 40px; height: 40px; border-radius: 50%; background: #5865f2; display: grid; place-items: center; font-size: 20px; }
.body { min-width: 0; flex: 1; }
.author { color: #f2f3f5; font-weight: 600; }
.bot { background: #5865f2; color: #fff; font-size: 10px; font-weight: 600; border-radius: 3px; padding: 1px 4px; vertical-align: 2px; }
.ring { margin-left: 6px; color: #f0b232; font-size: 12px; font-weight: 600; }
.content { white-space: normal; }
.edited { color: #949ba4; font-size: 10px; }
.mention { background: rgba(88, 101, 242, 0.3); color: #c9cdfb; border-radius: 3px; padding: 0 2px; font-weight: 500; }
code { background: #2b2d31; border-radius: 4px; padding: 0 3px; font-size: 13px; }
.embed { margin-top: 4px; max-width: 520px; background: #2b2d31; border-left: 4px solid #202225; border-radius: 4px; padding: 8px 16px 12px 12px; }
.embed-title { color: #f2f3f5; font-weight: 600; margin-bottom: 4px; }
.embed-description { font-size: 14px; }
.fields { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 8px; margin-top: 8px; }
.field { grid-column: 1 / -1; font-size: 14px; }
.field.inline { grid-column: auto; }
.field-name { color: #f2f3f5; font-weight: 600; margin-bottom: 2px; }
.embed-footer { margin-top: 8px; color: #b5bac1; font-size: 12px; }
.buttons { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 8px; }
.button { font: inherit; font-size: 14px; font-weight: 500; color: #fff; border: 0; border-radius: 3px; padding: 2px 16px; min-height: 32px; text-decoration: none; display: inline-flex; align-items: center; }
.button.primary { background: #5865f2; }
.button.secondary { background: #4e5058; }
.button.success { background: #248046; }
.button.danger { background: #da373c; }
.button.link { background: #4e5058; }
.button[disabled] { opacity: 0.5; }
.thread { margin-top: 8px; border-left: 2px solid #4e5058; padding: 4px 0 4px 12px; }
.thread.archived { opacity: 0.8; }
.thread-name { font-weight: 600; color: #f2f3f5; font-size: 14px; margin-bottom: 4px; }
.thread-state { color: #949ba4; font-weight: 400; font-size: 12px; }
.note { font-size: 14px; color: #b5bac1; padding: 1px 0; }
.silent { font-size: 12px; }
`;
