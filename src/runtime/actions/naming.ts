/** How replies name incidents and silence scopes to people: by the one human title a card shows. */
import { incidentTitle } from '../../core/render.js';
import { describeScope, subjectOfScope } from '../../core/silence.js';
import type { Incident, SilenceScope } from '../../core/types.js';
import { buildIncidentView } from '../view.js';
import type { ActionDeps } from './contract.js';

/** The names a reply uses for incidents and scopes. */
export interface Naming {
  /** The incident's one human title, as its card shows it ("node-b is NotReady"). */
  titleOf(incident: Incident): string;
  /** `#3 “frigate is down (HTTP 503)”`: its number and title, never its subject. */
  named(incident: Incident): string;
  /** The one sentence for acting on an incident that is over (`/ack`, and every button). */
  alreadyResolved(incident: Incident): string;
  /**
   * A silence scope in words: an Alertmanager group by the title of its latest incident, never by its
   * `alert:<hash>` subject while one is known.
   */
  scopeInWords(scope: SilenceScope): string;
}

/** Builds the naming over the store and the last cycle's snapshot. */
export function createNaming(deps: ActionDeps): Naming {
  const { store, config } = deps;

  function titleOf(incident: Incident): string {
    return incidentTitle(buildIncidentView(incident, store, config, deps.lastSnapshot?.() ?? null, deps.clock()));
  }

  function named(incident: Incident): string {
    return `#${incident.id} “${titleOf(incident)}”`;
  }

  function scopeInWords(scope: SilenceScope): string {
    const latest = scope.kind === 'alert' ? store.latestIncidentFor(subjectOfScope(scope)!) : null;
    return describeScope(scope, latest ? titleOf(latest) : null);
  }

  return {
    titleOf,
    named,
    alreadyResolved: (incident) => `Incident ${named(incident)} is already resolved.`,
    scopeInWords,
  };
}
