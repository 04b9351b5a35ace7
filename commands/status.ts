import { SlashCommandBuilder } from 'discord.js';
import type { TargetConfig } from '../src/config/types.js';
import { unseenTarget } from '../src/core/setup.js';
import { activeSilenceFor } from '../src/core/silence.js';
import { describeOrigin, windowEnd, windowForTarget, windowNodes } from '../src/core/windows.js';
import { nodeLabel } from '../src/core/render.js';
import { maintenanceLine } from '../src/core/maintenance.js';
import { diagnose, diagnosisLine } from '../src/core/diagnosis.js';
import { clip, DISCORD_LIMITS, discordTime, escapeMarkdown, fitLines, oneLine } from '../src/core/text.js';
import type { StatusFacts } from '../src/runtime/actions/index.js';
import { configuredTarget } from '../src/runtime/interactions/context.js';
import { targetChoices } from './options.js';
import type { SlashCommand } from './types.js';

/** `/status [target]` — health, nodes, incident, silence and what the gate would say to a restart now. */
export const statusCommand: SlashCommand = {
  definition: new SlashCommandBuilder()
    .setName('status')
    .setDescription('Health of the watched targets and whether a restart would be allowed now')
    .addStringOption((o) => o.setName('target').setDescription('One target (default: all)').setAutocomplete(true))
    .toJSON(),
  operatorOnly: false,
  async execute(interaction, ctx) {
    const only = interaction.options.getString('target');
    const known = only === null ? { ok: true as const } : configuredTarget(only, ctx);
    if (!known.ok) return known.message;
    const targets = ctx.config.targets.filter((t) => only === null || t.name === only);
    if (targets.length === 0) return 'No targets are configured.';
    const facts = await ctx.actions.statusFacts(targets.map((t) => t.name));
    const lines: string[] = [];
    if (!facts.snapshot.reachable) lines.push(`⚠️ Kubernetes API unreachable: ${facts.snapshot.error}`);
    for (const m of facts.maintenance) lines.push(maintenanceLine(m));
    for (const target of targets) lines.push(describeTarget(target.name, facts, ctx.config.targets));
    // Within Discord's 2,000 characters, saying how much was left out.
    return fitLines(lines, DISCORD_LIMITS.reply, (n) => `…and ${n} more; use /status target:<name>`);
  },
  autocomplete: targetChoices,
};

function describeTarget(name: string, facts: StatusFacts, configured: TargetConfig[]): string {
  const { snapshot, now } = facts;
  const state = facts.states[name];
  // Not its last health when stormguard cannot see it now (a refused list, a missing workload).
  const unseen = unseenTarget(snapshot, configured, name);
  const health = unseen !== null ? `⚪ unknown (${escapeMarkdown(unseen)})` : state ? (state.health === 'up' ? '🟢 up' : `🔴 down (${state.lastDetail})`) : '⚪ not checked yet';
  const parts = [`**${name}** ${health}`];
  if (snapshot.reachable) {
    const nodes = snapshot.workloads[name]?.relevantNodes ?? [];
    const described = nodes.map((n) => {
      const node = snapshot.nodes[n];
      return `${n} ${nodeLabel({ name: n, ready: node?.ready ?? 'missing', unschedulable: node?.unschedulable ?? false })}`;
    });
    parts.push(`nodes: ${described.join(', ') || 'none bound'}`);
  }
  const incident = facts.covering.get(name) ?? null;
  if (incident) parts.push(`incident #${incident.id} ${(incident.id !== null ? facts.names.get(incident.id) : undefined) ?? incident.subject} (${incident.state})`);
  const silence = activeSilenceFor({ target: name, incident }, facts.silences, now);
  if (silence) parts.push(`silenced until ${discordTime(silence.endsAt, 'f')}`);
  const window = windowForTarget(name, facts.windows ?? [], windowNodes(snapshot), now);
  if (window) parts.push(`🛠️ in maintenance until ${discordTime(windowEnd(window), 'f')} (${describeOrigin(window)})`);
  const gate = facts.gate.get(name)!;
  // Why it is down, unless the gate's refusal already says it (a restart that cannot help quotes its reason).
  const why = snapshot.reachable ? diagnose(name, snapshot.workloads[name], now) : null;
  if (why && (gate.allowed || gate.reason !== why.reason)) parts.push(`why: ${escapeMarkdown(clip(oneLine(diagnosisLine(why)), 200))}`);
  parts.push(gate.allowed ? 'restart now: allowed' : `restart now: no — ${escapeMarkdown(gate.message)}`);
  return parts.join(' · ');
}
