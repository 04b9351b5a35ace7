/**
 * system-upgrade-controller's Plans (`upgrade.cattle.io/v1`, namespaced, usually `system-upgrade`),
 * served as the API server serves a custom resource once its CRD is installed: discoverable in
 * `/apis`, `/apis/upgrade.cattle.io` and `/apis/upgrade.cattle.io/v1`, listed, read and watched.
 * Without the CRD every path of the group is a 404, as on a cluster without the controller.
 *
 * The shape follows rancher/system-upgrade-controller pkg/apis/upgrade.cattle.io/v1/types.go
 * (`PlanStatus.Applying []string json:"applying,omitempty"`: the nodes being upgraded now) and the
 * CRD pkg/crds/yaml/generated/upgrade.cattle.io_plans.yaml (scope Namespaced, plural `plans`,
 * status subresource, printer columns Image, Channel, Version, Complete, Message and Applying).
 * The controller's writes (status updates) are the simulator's helpers; clients only read.
 */
import type { ClusterModel } from './model.js';
import { renderList } from './render.js';
import { failure, notFound } from './status.js';

type Json = Record<string, unknown>;

/** The API group and version of Plans. */
export const PLAN_GROUP = 'upgrade.cattle.io';
export const PLAN_API_VERSION = `${PLAN_GROUP}/v1`;

/** One Plan. */
export interface SimPlan {
  namespace: string;
  name: string;
  uid: string;
  createdAt: number;
  rv: number;
  /** The node label selector of `spec.nodeSelector.matchLabels` (informational). */
  nodeSelector: Record<string, string>;
  /** `spec.version` (or `spec.channel` when absent). */
  version: string;
  /** `spec.upgrade.image`. */
  image: string;
  /** `status.applying`: the nodes the controller is upgrading now. */
  applying: string[];
}

/** The discovery entry of `plans` in `/apis/upgrade.cattle.io/v1`. */
export const PLAN_RESOURCE = { name: 'plans', singularName: 'plan', namespaced: true, kind: 'Plan', verbs: ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'] };
/** `plans/status`, the status subresource the CRD declares. */
export const PLAN_STATUS_RESOURCE = { name: 'plans/status', singularName: '', namespaced: true, kind: 'Plan', verbs: ['get', 'patch', 'update'] };

/** A Plan as `GET` returns it; zero-valued status fields are omitted (`omitempty`). */
export function renderPlan(p: SimPlan): Json {
  return {
    apiVersion: PLAN_API_VERSION,
    kind: 'Plan',
    metadata: { name: p.name, namespace: p.namespace, uid: p.uid, resourceVersion: String(p.rv), generation: 1, creationTimestamp: new Date(p.createdAt).toISOString() },
    spec: {
      concurrency: 1,
      cordon: true,
      nodeSelector: { matchLabels: { ...p.nodeSelector } },
      serviceAccountName: 'system-upgrade',
      upgrade: { image: p.image },
      version: p.version,
    },
    status: {
      ...(p.applying.length ? { applying: [...p.applying] } : {}),
      conditions: [{ type: 'LatestResolved', status: 'True', reason: 'Version', lastUpdateTime: new Date(p.createdAt).toISOString() }],
      latestVersion: p.version,
      latestHash: `sim-${p.name}-${p.version}`.slice(0, 63),
    },
  };
}

/**
 * Routes `/apis/upgrade.cattle.io[/v1[/namespaces/{ns}]/plans[/name]]`; null for other paths.
 * Without the CRD (`m.plans === null`) the whole group is a 404.
 */
export function routePlans(m: ClusterModel, seg: readonly string[], method: string, accept: string | null = null): { code: number; body: unknown } | null {
  if (seg[0] !== 'apis' || seg[1] !== PLAN_GROUP) return null;
  if (m.plans === null) throw failure(404, 'NotFound', 'the server could not find the requested resource');
  const plans = m.plans;
  const rest = seg.slice(2);
  const version = { groupVersion: PLAN_API_VERSION, version: 'v1' };
  if (method !== 'GET') throw failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  if (rest.length === 0) return { code: 200, body: { kind: 'APIGroup', apiVersion: 'v1', name: PLAN_GROUP, versions: [version], preferredVersion: version } };
  if (rest[0] !== 'v1') throw failure(404, 'NotFound', 'the server could not find the requested resource');
  if (rest.length === 1) return { code: 200, body: { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: PLAN_API_VERSION, resources: [PLAN_RESOURCE, PLAN_STATUS_RESOURCE] } };
  let ns: string | null = null;
  let tail = rest.slice(1);
  if (tail[0] === 'namespaces' && tail.length >= 3) {
    ns = tail[1]!;
    tail = tail.slice(2);
  }
  if (tail[0] !== 'plans' || tail.length > 2) throw failure(404, 'NotFound', 'the server could not find the requested resource');
  if (tail.length === 1) {
    const items = [...plans.values()]
      .filter((p) => ns === null || p.namespace === ns)
      .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name))
      .map(renderPlan);
    return { code: 200, body: wantsTable(accept) ? planTable(m, items) : renderList(m, PLAN_API_VERSION, 'PlanList', items) };
  }
  // A single Plan needs its namespace (it is a namespaced resource).
  if (ns === null) throw failure(404, 'NotFound', 'the server could not find the requested resource');
  const plan = plans.get(`${ns}/${tail[1]}`);
  if (!plan) throw notFound(`plans.${PLAN_GROUP}`, tail[1]!);
  return { code: 200, body: wantsTable(accept) ? planTable(m, [renderPlan(plan)]) : renderPlan(plan) };
}

/** Whether the client asked for a server-side Table first (kubectl get does; client libraries do not). */
function wantsTable(accept: string | null): boolean {
  return accept !== null && /^[^,]*;as=Table/.test(accept);
}

/**
 * A `meta.k8s.io/v1` Table as the API server makes one for a custom resource: Name, the CRD's
 * additionalPrinterColumns (Applying at priority 10, so only `-o wide` shows it), then Age; each row
 * carries the object's metadata, which `kubectl get -A` reads the namespace from. A JSONPath that finds
 * a list prints it as JSON (`["node-a"]`), one that finds nothing an empty cell.
 */
function planTable(m: ClusterModel, plans: Json[]): Json {
  const text = (description: string, name: string, priority = 0) => ({ name, type: 'string', format: '', description, priority });
  const columnDefinitions = [
    { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 },
    text('Image', 'Image'),
    text('Channel', 'Channel'),
    text('Version', 'Version'),
    text('Complete', 'Complete'),
    text('Message', 'Message'),
    text('Applying', 'Applying', 10),
    { name: 'Age', type: 'date', format: '', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.', priority: 0 },
  ];
  const rows = plans.map((p) => {
    const meta = p.metadata as Json;
    const spec = p.spec as { upgrade?: { image?: string }; channel?: string; version?: string };
    const status = p.status as { applying?: string[]; conditions?: { type: string; status: string; message?: string }[] };
    const complete = status.conditions?.find((c) => c.type === 'Complete')?.status ?? '';
    const message = status.conditions?.find((c) => (c.message ?? '') !== '')?.message ?? '';
    return {
      cells: [meta.name, spec.upgrade?.image ?? '', spec.channel ?? '', spec.version ?? '', complete, message, status.applying ? JSON.stringify(status.applying) : '', age(m.now() - Date.parse(String(meta.creationTimestamp)))],
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: meta },
    };
  });
  return { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: String(m.currentRv) }, columnDefinitions, rows };
}

/** Whether `seg` is a Plans collection a watch may open (`…/plans` in all or one namespace): the namespace, or undefined. */
export function plansWatchNamespace(seg: readonly string[]): string | null | undefined {
  if (seg[0] !== 'apis' || seg[1] !== PLAN_GROUP || seg[2] !== 'v1') return undefined;
  if (seg.length === 4 && seg[3] === 'plans') return null;
  if (seg.length === 6 && seg[3] === 'namespaces' && seg[5] === 'plans') return seg[4]!;
  return undefined;
}

/** The server's Age cell (apimachinery's `duration.HumanDuration`, in its broad steps): `45s`, `3m20s`, `5h`, `3d4h`. */
function age(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  const d = Math.floor(h / 24);
  if (s < 120) return `${s}s`;
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  if (d < 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  return `${d}d`;
}
