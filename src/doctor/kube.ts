/**
 * The doctor's Kubernetes checks: the API answers; which watch scope applies (decided as the bot
 * decides it); every verb stormguard needs, where it needs it, is allowed (SelfSubjectAccessReview,
 * so the answer is the cluster's own RBAC decision); every target's workload exists.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { Config, KuredConfig, TargetConfig } from '../config/types.js';
import {
  accessFor,
  maintenanceSignalAccess,
  collectionPath,
  MANY_NAMESPACES,
  namespacesOf,
  WORKLOAD_RESOURCES,
  type AccessOptions,
  type Collection,
  type NeededAccess,
  type WatchScope,
} from '../adapters/kube/access.js';
import { listCollection, loadKubeConfig } from '../adapters/kube/index.js';
import { askWatchScope, isAllowed } from '../adapters/kube/review.js';
import { createKubeRequest, type KubeRequest } from '../adapters/kube/transport.js';
import { describeKubeError } from '../adapters/kube/errors.js';
import { workloadFacts, type Workload } from '../adapters/kube/resolve.js';
import type { KubeObject } from '../adapters/kube/slim.js';
import { fail, ok, warn, type Check } from './checklist.js';
// The same fixes the bot's setup incidents name, so the doctor and the incident channel agree.
import { CLUSTER_WATCH_ACCESS_FIX, CLUSTER_WATCH_GRANT, namespaceAccessFix, NODES_ACCESS_FIX } from '../core/setup.js';

/** Which group of needs an access belongs to: one checklist line each. */
interface NeedGroup {
  title: string;
  fix: string;
  needs: NeededAccess[];
}

/**
 * Everything stormguard does in the cluster with this watch scope (the adapter's own list,
 * {@link accessFor}), grouped as the RBAC in `deploy/` grants it: nodes cluster-wide, pods and
 * workloads cluster-wide (cluster scope), one Role per watched namespace, and the Lease when one is used.
 */
export function neededAccess(targets: readonly TargetConfig[], scope: WatchScope, leaseNamespace: string | null, options: AccessOptions = {}): NeedGroup[] {
  const access = accessFor(targets, scope, options);
  const groups: NeedGroup[] = [
    {
      title: 'cluster-wide: list and watch nodes',
      fix: NODES_ACCESS_FIX,
      needs: access.filter((need) => need.namespace === undefined && need.resource === 'nodes'),
    },
  ];
  const clusterWide = access.filter((need) => need.namespace === undefined && need.resource !== 'nodes');
  if (clusterWide.length > 0) groups.push({ title: `cluster-wide: ${describeNeeds(clusterWide)}`, fix: CLUSTER_WATCH_ACCESS_FIX, needs: clusterWide });
  for (const namespace of new Set(access.flatMap((need) => (need.namespace === undefined ? [] : [need.namespace])))) {
    const needs = access.filter((need) => need.namespace === namespace);
    groups.push({
      title: `namespace ${namespace}: ${describeNeeds(needs)}`,
      fix: namespaceAccessFix(namespace),
      needs,
    });
  }
  if (leaseNamespace !== null) {
    const lease = { group: 'coordination.k8s.io', resource: 'leases', namespace: leaseNamespace };
    groups.push({
      title: `the Lease stormguard in namespace ${leaseNamespace}: get, update, create`,
      fix: `apply deploy/rbac-lease.yaml in ${leaseNamespace} (the namespace comes from $POD_NAMESPACE), or run a single instance with STORMGUARD_LEASE=off`,
      needs: [
        { ...lease, verb: 'get', name: 'stormguard' },
        { ...lease, verb: 'update', name: 'stormguard' },
        { ...lease, verb: 'create' },
      ],
    });
  }
  return groups;
}

/** `list/watch pods, list/watch/patch deployments.apps, delete pods`. */
function describeNeeds(needs: readonly NeededAccess[]): string {
  const byResource = new Map<string, string[]>();
  for (const need of needs) {
    // Deletion reads best on its own ("delete pods"), after reading pods.
    const key = need.verb === 'delete' ? `delete:${resourceName(need)}` : resourceName(need);
    byResource.set(key, [...(byResource.get(key) ?? []), need.verb]);
  }
  return [...byResource].map(([key, verbs]) => `${verbs.join('/')} ${key.replace(/^delete:/, '')}`).join(', ');
}

function resourceName(need: NeededAccess): string {
  const resource = need.subresource === undefined ? need.resource : `${need.resource}/${need.subresource}`;
  return need.group === '' ? resource : `${resource}.${need.group}`;
}

/** Options of {@link checkKubernetes}. */
export interface KubeCheckOptions {
  env: NodeJS.ProcessEnv;
  /** Where the Lease lives; null when the Lease is off. */
  leaseNamespace: string | null;
  timeoutMs?: number;
}

/** Runs the Kubernetes checks in order; an API that does not answer ends the list. */
export async function checkKubernetes(config: Config, options: KubeCheckOptions): Promise<Check[]> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  let kc;
  try {
    kc = loadKubeConfig({ ...config.kubernetes, env: options.env });
  } catch (err) {
    return [fail(`no usable kubeconfig: ${(err as Error).message.replace(/^kube: /, '')}`, 'run in the cluster with a ServiceAccount, or set kubernetes.kubeconfig (and kubernetes.context)')];
  }
  const server = kc.getCurrentCluster()?.server ?? 'the API server';
  const request = createKubeRequest(kc, timeoutMs);
  const checks: Check[] = [];
  try {
    const version = await request<{ gitVersion?: string }>('GET', '/version');
    checks.push(ok(`the Kubernetes API answers at ${server} (${version.gitVersion})`));
  } catch (err) {
    const reason = describeKubeError(err, timeoutMs);
    const refused = /^HTTP 401/.test(reason);
    checks.push(
      fail(
        `the Kubernetes API ${refused ? 'refused the credentials' : 'does not answer'} at ${server}: ${reason}`,
        refused ? 'check the kubeconfig user (or the ServiceAccount token)' : 'check kubernetes.kubeconfig / kubernetes.context and the network path to the API server',
      ),
    );
    return checks;
  }

  const { scope, check } = await watchScopeCheck(config, request, timeoutMs);
  checks.push(...check);
  const denied = new Set<string>();
  for (const group of neededAccess(config.targets, scope, options.leaseNamespace, { logs: config.diagnosis.logs })) {
    const refused: NeededAccess[] = [];
    for (const need of group.needs) {
      if (!(await isAllowed(request, need))) refused.push(need);
    }
    for (const need of refused) denied.add(`${need.namespace ?? ''}/${need.resource}${need.subresource === undefined ? '' : `/${need.subresource}`}/${need.verb}`);
    checks.push(refused.length === 0 ? ok(`allowed: ${group.title}`) : fail(`not allowed: ${describeRefused(refused, group)}`, group.fix));
  }

  checks.push(...(await checkWorkloads(config.targets, scope, request, denied, timeoutMs)));
  checks.push(...(await checkMaintenanceSignals(config.maintenance.kured, request, timeoutMs)));
  return checks;
}

/** The fix for a maintenance signal that may not be read. */
const MAINTENANCE_ACCESS_FIX = 'apply deploy/rbac-maintenance.yaml (the chart: rbac.maintenanceSignals: true); without it the signal is not used and nothing else changes';

/**
 * Can it read the planned-maintenance signals (README "Planned maintenance")? kured's DaemonSet and
 * system-upgrade-controller's Plans, asked by SelfSubjectAccessReview and then read once. Optional,
 * so a refusal warns and never fails; a kured or a Plan CRD that is not installed is simply said.
 */
async function checkMaintenanceSignals(kured: KuredConfig, request: KubeRequest, timeoutMs: number): Promise<Check[]> {
  const needs = maintenanceSignalAccess(kured);
  const refused = async (resource: string) => {
    const out: NeededAccess[] = [];
    for (const need of needs.filter((n) => n.resource === resource)) if (!(await isAllowed(request, need))) out.push(need);
    return out;
  };
  const checks: Check[] = [];
  const ds = `DaemonSet ${kured.namespace}/${kured.daemonSet}`;
  const kuredRefused = await refused('daemonsets');
  if (kuredRefused.length > 0) {
    checks.push(warn(`kured's reboot lock: may not ${kuredRefused.map((n) => n.verb).join('/')} ${ds}, so kured reboots are not recognised as planned maintenance`, MAINTENANCE_ACCESS_FIX));
  } else {
    checks.push(await readOnce(request, `/apis/apps/v1/namespaces/${encodeURIComponent(kured.namespace)}/daemonsets/${encodeURIComponent(kured.daemonSet)}`, timeoutMs, {
      found: `kured's reboot lock: ${ds} is readable`,
      missing: `kured's reboot lock: no ${ds} (kured not installed here; set maintenance.kured if it runs under other names)`,
    }));
  }
  const plansRefused = await refused('plans');
  if (plansRefused.length > 0) {
    checks.push(warn(`upgrade Plans: may not ${plansRefused.map((n) => n.verb).join('/')} plans.upgrade.cattle.io, so system-upgrade-controller upgrades are not recognised as planned maintenance`, MAINTENANCE_ACCESS_FIX));
  } else {
    checks.push(await readOnce(request, '/apis/upgrade.cattle.io/v1/plans', timeoutMs, {
      found: 'upgrade Plans: plans.upgrade.cattle.io are readable',
      missing: 'upgrade Plans: the CRD plans.upgrade.cattle.io is not installed (no system-upgrade-controller), nothing to read',
    }, { limit: '1' }));
  }
  return checks;
}

/** One read: `found` when it answers, `missing` on a 404 (both fine), a warning with the error otherwise. */
async function readOnce(request: KubeRequest, path: string, timeoutMs: number, say: { found: string; missing: string }, query?: Record<string, string>): Promise<Check> {
  try {
    await request('GET', path, query ? { query } : {});
    return ok(say.found);
  } catch (err) {
    if ((err as { code?: unknown }).code === 404) return ok(say.missing);
    return warn(`${say.found.replace(/ (is|are) readable$/, '')}: cannot be read: ${describeKubeError(err, timeoutMs)}`, MAINTENANCE_ACCESS_FIX);
  }
}

/**
 * Which watch scope the bot will use, decided exactly as the adapter decides it, as a checklist line;
 * with `namespaces` over many namespaces, a `!` line saying how to make the watches stop growing with them.
 */
async function watchScopeCheck(config: Config, request: KubeRequest, timeoutMs: number): Promise<{ scope: WatchScope; check: Check[] }> {
  const setting = config.kubernetes.watchScope;
  const namespaces = namespacesOf(config.targets).length;
  const { scope, reason } = await askWatchScope(request, setting, config.targets, timeoutMs);
  const check: Check[] = [ok(`watch scope: ${scope === 'cluster' ? 'cluster (one watch per kind for all namespaces)' : 'namespaces (one watch per kind per namespace)'} — ${reason}`)];
  if (scope === 'namespaces' && namespaces > MANY_NAMESPACES) {
    check.push(
      warn(
        `watch scope: ${namespaces} namespaces cost ${namespaces} watches per kind (their renewals grow with the namespaces)`,
        `${CLUSTER_WATCH_GRANT}${setting === 'namespaces' ? ' and set kubernetes.watchScope: auto' : ''}, so one watch per kind covers every namespace`,
      ),
    );
  }
  return { scope, check };
}

function describeRefused(refused: readonly NeededAccess[], group: NeedGroup): string {
  const where = refused[0]?.namespace ? ` in namespace ${refused[0].namespace}` : ' cluster-wide';
  const what = group.title.startsWith('the Lease') ? `${refused.map((n) => n.verb).join(', ')} the Lease stormguard` : describeNeeds(refused);
  return `${what}${where}`;
}

/**
 * Each target's workload exists, and a Pods target's selector matches at least one pod — read with
 * the bot's own lists (once per namespace and kind) and judged by the bot's own `workloadFacts`.
 */
async function checkWorkloads(targets: readonly TargetConfig[], scope: WatchScope, request: KubeRequest, denied: ReadonlySet<string>, timeoutMs: number): Promise<Check[]> {
  const lists = new Map<string, Promise<KubeObject[]>>();
  /** One namespace's objects of a kind, from the list the bot's own scope reads (one per namespace, or one for all). */
  const read = async (kind: Collection['kind'], namespace: string): Promise<KubeObject[]> => {
    const collection = { kind, namespace: scope === 'cluster' ? null : namespace } as Collection;
    const path = collectionPath(collection);
    let list = lists.get(path);
    if (!list) lists.set(path, (list = listCollection(request, collection).then((l) => l.items)));
    return (await list).filter((o) => o.metadata?.namespace === namespace);
  };

  const checks: Check[] = [];
  for (const [index, target] of targets.entries()) {
    const { namespace, workload } = target;
    const resource = workload.kind === 'Pods' ? 'pods' : WORKLOAD_RESOURCES[workload.kind];
    if (denied.has(`${scope === 'cluster' ? '' : namespace}/${resource}/list`)) {
      checks.push(warn(`target ${target.name}: not checked, stormguard may not list ${resource} in ${namespace} (see above)`));
      continue;
    }
    try {
      if (workload.kind === 'Pods') {
        const { pods } = workloadFacts(target, (await read('Pod', namespace)) as V1Pod[], undefined);
        checks.push(
          pods.length > 0
            ? ok(`target ${target.name}: ${pods.length === 1 ? '1 pod matches' : `${pods.length} pods match`} ${workload.selector} in ${namespace}`)
            : fail(`target ${target.name}: no pods in ${namespace} match ${workload.selector}`, `check targets[${index}].namespace and .workload.selector (kubectl -n ${namespace} get pods -l '${workload.selector}')`),
        );
        continue;
      }
      const named = (await read(workload.kind, namespace)).find((w) => w.metadata?.name === workload.name) as Workload | undefined;
      checks.push(
        workloadFacts(target, [], named).found
          ? ok(`target ${target.name}: ${workload.kind} ${namespace}/${workload.name} exists`)
          : fail(`target ${target.name}: no ${workload.kind} ${workload.name} in namespace ${namespace}`, `check targets[${index}].namespace and .workload (kubectl -n ${namespace} get ${resource})`),
      );
    } catch (err) {
      checks.push(fail(`target ${target.name}: cannot read ${resource} in ${namespace}: ${describeKubeError(err, timeoutMs)}`, 'see the permission checks above'));
    }
  }
  return checks;
}
