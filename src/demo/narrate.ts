/**
 * The demo's narrator: what the bot just did, told from what the simulators received — Discord
 * requests (posts, thread notes, edits, archiving) and Kubernetes restarts — so every action is
 * visible, not only its result. Pure.
 */
import type { DiscordRequestRecord } from '../sim/discord/index.js';
import { resolveMentions, type AllowedMentions } from '../sim/discord/mentions.js';
import type { SimRestart } from '../sim/kube/index.js';

/** One line per kind of action, in the order they first happened (`stormguard adds 2 quiet notes to the thread`). */
export function narrateBot(requests: readonly DiscordRequestRecord[], restarts: readonly SimRestart[], channelId: string, roleName: (id: string) => string): string[] {
  const lines = new Map<string, number>();
  const add = (line: string) => lines.set(line, (lines.get(line) ?? 0) + 1);
  for (const r of requests) {
    if (r.status < 200 || r.status >= 300) continue;
    const body = (r.body ?? {}) as { content?: string; flags?: number; allowed_mentions?: AllowedMentions; archived?: boolean };
    // Who it rang, by the simulator's reading of Discord's rules (allowed_mentions, silent flag).
    const pinged = resolveMentions(body.content ?? '', body.allowed_mentions, body.flags ?? 0);
    const rings = pinged.roles.map((id) => `@${roleName(id)}`);
    const loud = !pinged.suppressed && rings.length > 0;
    if (r.method === 'POST' && r.path === `/channels/${channelId}/messages`) add(`stormguard posts the incident message${loud ? ` and rings ${rings.join(', ')}` : ''}`);
    else if (r.method === 'POST' && /^\/channels\/\d+\/messages\/\d+\/threads$/.test(r.path)) add('stormguard opens a thread on it');
    else if (r.method === 'POST' && /^\/channels\/\d+\/messages$/.test(r.path)) add(loud ? `stormguard rings ${rings.join(', ')} in the thread` : 'stormguard adds a quiet note to the thread (no push)');
    else if (r.method === 'PATCH' && /^\/channels\/\d+\/messages\/\d+$/.test(r.path)) add('stormguard edits the incident message in place (an edit rings nobody)');
    else if (r.method === 'PATCH' && /^\/channels\/\d+$/.test(r.path) && typeof body.archived === 'boolean') add(body.archived ? 'stormguard archives the thread' : 'stormguard reopens the thread');
  }
  for (const restart of restarts) {
    add(restart.kind === 'Pod' ? `stormguard deletes pod ${restart.namespace}/${restart.name}` : `stormguard restarts ${restart.name}: rollout restart of ${restart.kind} ${restart.namespace}/${restart.name}`);
  }
  return [...lines].map(([line, n]) => (n === 1 ? line : `${line} — ${n}×`));
}
