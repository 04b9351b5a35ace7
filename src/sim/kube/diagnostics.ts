/**
 * The simulator's test-facing API for why pods fail: failures (failures.ts), events (events.ts),
 * logs (logs.ts) and template changes. Part of `KubeSimulator` (index.ts).
 *
 * - `failPods(namespace, which, failure)` / `clearPodFailure(namespace, which)`: see failures.ts.
 * - `setImage(namespace, kind, name, image, { memoryLimit?, container? })`: changes the pod
 *   template (new revision, rollout), so a "what changed" is observable in the workload's
 *   `spec.template.spec.containers[].image` and `resources.limits.memory`.
 * - `emitEvent(spec)`, `eventStorm(namespace, count, options?)`, `events(namespace?)`: see events.ts.
 * - `setLogs(namespace, which, container, lines, { previous? })`: see logs.ts.
 */
import { parseSimSelector } from './labels.js';
import { renderEvent, type SimEventSpec } from './events.js';
import { DEFAULT_CONTAINER, ruleCovers, type SimFailure, type SimFailureRule } from './failures.js';
import { workloadKey, type ClusterModel, type SimContainer, type SimWorkload, type SimWorkloadKind } from './model.js';

export type { SimFailure } from './failures.js';
export type { SimEventSpec, SimObjectRef } from './events.js';

/** Pods by label selector, or every pod of a workload. */
export type SimDiagnosisSelection = string | { kind: SimWorkloadKind; name: string };

/** The diagnosis part of the simulator's API. */
export interface SimDiagnosticsApi {
  /** Makes the selected pods (and those created for them later) fail this way until cleared. */
  failPods(namespace: string, which: SimDiagnosisSelection, failure: SimFailure): void;
  /** Removes the failures set for exactly this selection (pods recover; their events stay until they age out). */
  clearPodFailure(namespace: string, which: SimDiagnosisSelection): void;
  /** Changes a container's image (and memory limit) in a workload's pod template: a new revision and a rollout. */
  setImage(namespace: string, kind: SimWorkloadKind, name: string, image: string, options?: { memoryLimit?: string; container?: string }): void;
  /** Records an event now (repeats aggregate into `count`). */
  emitEvent(spec: SimEventSpec): void;
  /** Records `count` distinct Warning events now, spread over `objects` pods names (default 50). */
  eventStorm(namespace: string, count: number, options?: { reason?: string; objects?: number }): void;
  /** The Events now, as the API renders them (optionally of one namespace). */
  events(namespace?: string): Record<string, unknown>[];
  /** Sets the log of `container` of the selected pods (`{ pod }`: one pod by name), current or previous. */
  setLogs(namespace: string, which: SimDiagnosisSelection | { pod: string }, container: string, lines: string[], options?: { previous?: boolean }): void;
}

/** Builds the API over `model`; `publish` catches up with the clock and informs watchers. */
export function createDiagnosticsApi(model: ClusterModel, publish: () => void): SimDiagnosticsApi {
  const workload = (namespace: string, kind: SimWorkloadKind, name: string): SimWorkload => {
    const w = model.workloads.get(workloadKey(kind, namespace, name));
    if (!w) throw new Error(`kube simulator: no ${kind} ${namespace}/${name}`);
    return w;
  };
  const sameSelection = (rule: { owner: string | null; selectorText?: string }, namespace: string, which: SimDiagnosisSelection): boolean =>
    typeof which === 'string' ? rule.selectorText === which : rule.owner === workloadKey(which.kind, namespace, which.name);

  const selectorTexts = new WeakMap<SimFailureRule, string>();

  return {
    failPods(namespace, which, failure) {
      model.reconcile();
      const rule: SimFailureRule =
        typeof which === 'string'
          ? { namespace, owner: null, selector: parseSimSelector(which), failure: { ...failure }, since: model.now() }
          : { namespace, owner: workloadKey(which.kind, namespace, workload(namespace, which.kind, which.name).name), selector: null, failure: { ...failure }, since: model.now() };
      if (typeof which === 'string') selectorTexts.set(rule, which);
      model.failures.push(rule);
      model.failuresVersion++;
      if (failure.kind === 'unschedulable') {
        // A bound pod keeps its node; pods that cannot be scheduled are new ones.
        if (typeof which !== 'string') {
          model.recreatePods(workload(namespace, which.kind, which.name));
        } else {
          for (const pod of model.pods.values()) {
            if (pod.nodeName === null || !ruleCovers(rule, pod)) continue;
            pod.nodeName = null;
            pod.uid = model.uid();
            pod.createdAt = model.now();
            pod.rv = model.bump();
          }
        }
      }
      for (const pod of model.pods.values()) if (ruleCovers(rule, pod)) pod.rv = model.bump();
      publish();
    },
    clearPodFailure(namespace, which) {
      model.reconcile();
      for (let i = model.failures.length - 1; i >= 0; i--) {
        const rule = model.failures[i]!;
        if (rule.namespace !== namespace || !sameSelection({ owner: rule.owner, selectorText: selectorTexts.get(rule) }, namespace, which)) continue;
        model.failures.splice(i, 1);
        model.failuresVersion++;
        for (const pod of model.pods.values()) if (ruleCovers(rule, pod)) pod.rv = model.bump();
      }
      publish();
    },
    setImage(namespace, kind, name, image, options = {}) {
      model.reconcile();
      const w = workload(namespace, kind, name);
      const containers = (w.containers ?? [DEFAULT_CONTAINER]).map((c) => ({ ...c }));
      const target = options.container === undefined ? containers[0] : containers.find((c) => c.name === options.container);
      if (!target) throw new Error(`kube simulator: ${kind} ${namespace}/${name} has no container ${options.container}`);
      target.image = image;
      if (options.memoryLimit !== undefined) target.memoryLimit = options.memoryLimit;
      w.containers = containers;
      model.startRollout(w);
      publish();
    },
    emitEvent(spec) {
      model.reconcile();
      model.events.record(model, spec, model.now());
      publish();
    },
    eventStorm(namespace, count, options = {}) {
      model.reconcile();
      const objects = Math.max(1, options.objects ?? 50);
      for (let i = 0; i < count; i++) {
        const name = `storm-${i % objects}`;
        model.events.record(
          model,
          {
            namespace,
            involvedObject: { kind: 'Pod', namespace, name, uid: `storm-${namespace}-${i % objects}`, apiVersion: 'v1' },
            reason: options.reason ?? 'BackOff',
            message: `storm event ${i} for ${name}`,
            type: 'Warning',
            source: { component: 'kubelet', host: 'storm' },
          },
          model.now(),
        );
      }
      publish();
    },
    events(namespace) {
      publish();
      return [...model.events.byName.values()]
        .filter((e) => namespace === undefined || e.namespace === namespace)
        .sort((a, b) => a.first - b.first || a.name.localeCompare(b.name))
        .map(renderEvent);
    },
    setLogs(namespace, which, container, lines, options = {}) {
      model.reconcile();
      const base = { namespace, container, previous: options.previous === true, lines: [...lines] };
      if (typeof which === 'string') model.logRules.push({ ...base, pod: null, owner: null, selector: parseSimSelector(which) });
      else if ('pod' in which) model.logRules.push({ ...base, pod: which.pod, owner: null, selector: null });
      else model.logRules.push({ ...base, pod: null, owner: workloadKey(which.kind, namespace, workload(namespace, which.kind, which.name).name), selector: null });
    },
  };
}

/**
 * The template containers after a PATCH (`kubectl set image`, `kubectl set resources`), or null when
 * the patch leaves their images and memory limits as they are. A strategic-merge patch merges the
 * `containers` list by `name`, as the API server does for that list; a JSON merge patch replaces it.
 */
export function patchedContainers(w: SimWorkload, patch: unknown, strategic: boolean): SimContainer[] | null {
  const list = (patch as { spec?: { template?: { spec?: { containers?: unknown } } } } | null)?.spec?.template?.spec?.containers;
  if (!Array.isArray(list)) return null;
  const current = (w.containers ?? [DEFAULT_CONTAINER]).map((c) => ({ ...c }));
  const next = strategic ? current : [];
  for (const item of list as unknown[]) {
    if (typeof item !== 'object' || item === null) continue;
    const { name, image, resources } = item as { name?: unknown; image?: unknown; resources?: { limits?: { memory?: unknown } } };
    if (typeof name !== 'string') continue;
    let target = next.find((c) => c.name === name);
    if (!target) {
      target = { ...(current.find((c) => c.name === name) ?? { name, image: '' }) };
      next.push(target);
    }
    if (typeof image === 'string') target.image = image;
    const memory = resources?.limits?.memory;
    if (typeof memory === 'string') target.memoryLimit = memory;
    else if (memory === null) delete target.memoryLimit;
  }
  const same = JSON.stringify(next) === JSON.stringify(w.containers ?? [DEFAULT_CONTAINER]);
  return same ? null : next;
}
