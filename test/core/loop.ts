import { planCycle, type CycleInput, type CyclePlan } from '../../src/core/plan.js';
import type { Maintenance } from '../../src/core/maintenance.js';
import type { Incident, Observation, RestartRecord, TargetState } from '../../src/core/types.js';

/**
 * Feeds each plan's output back as the next cycle's input, assigning ids as a store would, so a
 * sequence of cycles can be checked without any I/O.
 */
export class Loop {
  incidents: Incident[] = [];
  states: Record<string, TargetState> = {};
  clusterState: TargetState | undefined;
  restarts: RestartRecord[] = [];
  /** The nodes' maintenance records, fed back as the store would keep them. */
  maintenance: Maintenance[] = [];
  plans: CyclePlan[] = [];
  private nextId = 1;

  constructor(private readonly base: Omit<CycleInput, 'now' | 'observations' | 'targetStates' | 'incidents' | 'restarts' | 'snapshot' | 'clusterState' | 'maintenance'>) {}

  cycle(now: number, snap: CycleInput['snapshot'], observations: Observation[]): CyclePlan {
    const plan = planCycle({ ...this.base, now, snapshot: snap, observations, targetStates: this.states, incidents: this.incidents, restarts: this.restarts, clusterState: this.clusterState, maintenance: this.maintenance });
    for (const s of plan.targetStates) this.states[s.target] = s;
    this.maintenance = plan.maintenance;
    this.clusterState = plan.clusterState;
    for (const p of plan.incidents) {
      const inc = p.incident.id === null ? { ...p.incident, id: this.nextId++ } : p.incident;
      this.incidents = [...this.incidents.filter((i) => i.id !== inc.id), inc];
      for (const r of p.restarts) {
        this.restarts.push({ id: this.restarts.length + 1, target: r.target, incidentId: inc.id, requestedBy: r.requestedBy, automatic: r.automatic, requestedAt: now, status: 'succeeded', error: null });
      }
    }
    this.plans.push(plan);
    return plan;
  }

  effects(type: string) {
    return this.plans.flatMap((p) => p.incidents.flatMap((i) => i.effects.filter((e) => e.type === type)));
  }

  /** Every restart the plans asked for (restarts are not effects). */
  restartsAsked() {
    return this.plans.flatMap((p) => p.incidents.flatMap((i) => i.restarts));
  }

  audits(action: string) {
    return this.plans.flatMap((p) => p.incidents.flatMap((i) => i.audit.filter((a) => a.action === action)));
  }
}

