import type { Config } from '../config/types.js';
import { evaluateGate, isWaitingReason, restartHistorySince } from '../core/gate.js';
import type { IncidentView } from '../core/render.js';
import { activeSilenceFor } from '../core/silence.js';
import { maintenanceOfIncident } from '../core/maintenance.js';
import { gateMaintenance } from './maintenance.js';
import { unseenTarget } from '../core/setup.js';
import { nodeOfSubject } from '../core/subject.js';
import { DISCORD_LIMITS, clip, discordMessageUrl, type DiscordChannelRef } from '../core/text.js';
import type { ClusterSnapshot, Incident } from '../core/types.js';
import type { Store } from '../adapters/sqlite/store.js';
import { describeOrigin, windowEnd, windowForIncident, windowNodes } from '../core/windows.js';

/**
 * Gathers what an incident's message shows: its targets' health, the nodes involved (the node of a
 * node incident, else the targets' relevant nodes) and what the gate says about the next restart.
 */
export function buildIncidentView(incident: Incident, store: Store, config: Config, snapshot: ClusterSnapshot | null, now: number): IncidentView {
  const states = store.loadTargetStates();
  const silences = store.activeSilences(now);
  const targets = incident.targets.map((name) => {
    const s = states[name];
    // What stormguard cannot see now (a refused list, a missing workload) is shown as unknown, not as its last health.
    const unseen = snapshot !== null && unseenTarget(snapshot, config.targets, name) !== null;
    return { name, health: unseen ? ('unknown' as const) : (s?.health ?? ('unknown' as const)), detail: s?.lastDetail ?? '' };
  });
  const nodeNames = new Set<string>();
  const ownNode = nodeOfSubject(incident.subject);
  if (ownNode !== null) nodeNames.add(ownNode);
  if (snapshot?.reachable) for (const t of incident.targets) for (const n of snapshot.workloads[t]?.relevantNodes ?? []) nodeNames.add(n);
  const nodes = [...nodeNames].sort().map((name) => {
    const facts = snapshot?.reachable ? snapshot.nodes[name] : undefined;
    return { name, ready: facts?.ready ?? ('missing' as const), unschedulable: facts?.unschedulable ?? false };
  });
  // Only a blocking reason is worth showing; transient waits would make the message churn.
  let nextRestart: string | null = null;
  const first = incident.targets.find((t) => states[t]?.health === 'down');
  if (first && snapshot && incident.state !== 'resolved') {
    const decision = evaluateGate({
      targetName: first,
      mode: 'manual',
      targets: config.targets,
      snapshot,
      restarts: store.restartsFor({ incidentIds: incident.id === null ? [] : [incident.id], since: restartHistorySince(config.targets, now) }),
      incident,
      silences,
      maintenance: gateMaintenance(store, config),
      now,
    });
    if (!decision.allowed && !isWaitingReason(decision.reason)) nextRestart = `blocked: ${decision.message}`;
  }
  // An Alertmanager silence that ran out is not shown (Alertmanager expired it by itself).
  const alertGroups = (incident.id === null ? [] : store.alertGroupsForIncident(incident.id)).map((g) => (g.silence && g.silence.endsAt <= now ? { ...g, silence: null } : g));
  const inWindow = snapshot ? windowForIncident(incident, store.unreportedWindows(), windowNodes(snapshot), now) : null;
  const window = inWindow ? { until: windowEnd(inWindow), origin: describeOrigin(inWindow) } : null;
  const maintenance = ownNode === null ? null : maintenanceOfIncident(incident, store.loadMaintenance());
  return { incident, silence: activeSilenceFor({ incident }, silences, now), window, targets, nodes, nextRestart, links: linksOf(incident, config), alertGroups, maintenance };
}

/** The link to an incident's Discord message (email, push and Alertmanager silences point at it), or null before it was posted or without Discord. */
export function incidentMessageLink(store: Pick<Store, 'getDiscordRefs'>, discord: DiscordChannelRef | undefined, incidentId: number): string | null {
  const messageId = store.getDiscordRefs(incidentId)?.messageId;
  return discord && messageId ? discordMessageUrl(discord, messageId) : null;
}

/** The configured links of the incident's targets, the same URL once, at most 5 (one row of buttons). */
function linksOf(incident: Incident, config: Config): Array<{ label: string; url: string }> {
  const seen = new Set<string>();
  const links: Array<{ label: string; url: string }> = [];
  for (const name of incident.targets) {
    const target = config.targets.find((t) => t.name === name);
    for (const link of target?.links ?? []) {
      if (seen.has(link.url)) continue;
      seen.add(link.url);
      // A node incident lists several targets: name the target on its links so they can be told apart.
      links.push({ label: incident.targets.length > 1 ? clip(`${name}: ${link.label}`, DISCORD_LIMITS.buttonLabel) : link.label, url: link.url });
    }
  }
  return links.slice(0, 5);
}
