/**
 * The simulator's REST surface: maps one parsed request onto the cluster model and returns the
 * HTTP status and JSON body a real API server would send.
 */
import { parseSimSelector, simSelectorMatches } from './labels.js';
import { workloadKey, type ClusterModel, type SimWorkloadKind } from './model.js';
import { renderList, renderNode, renderPod, renderWorkload } from './render.js';
import { accessOf, forbiddenMessage, isAllowed, type SimAccess } from './rbac.js';
import { alreadyExists, conflict, failure, notFound, success, type KubeError } from './status.js';
import { EVENT_FIELDS, eventsWatchNamespace, fieldsMatch, parseFieldSelector, routeEvents } from './events.js';
import { routeLog } from './logs.js';
import { patchedContainers } from './diagnostics.js';
import { applyNodePatch, EVICTION_RESOURCE, evictionRequest } from './drain.js';
import { PLAN_GROUP, plansWatchNamespace, routePlans } from './plans.js';
import type { WatchResource, WatchSelection } from './watch.js';

/** The user the simulator's kubeconfig authenticates as (named in 403 messages, like a service account). */
export const SIM_USER = 'system:serviceaccount:stormguard:stormguard';

/** A request as the router sees it. */
export interface SimRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  contentType: string | null;
  body: string;
  /** The Accept header: kubectl asks for a server-side `Table` (`as=Table;g=meta.k8s.io`), plans.ts answers one. */
  accept?: string | null;
}

/** What the router answers. */
export interface SimResponse {
  code: number;
  body: unknown;
}

const WORKLOAD_RESOURCES: Record<string, SimWorkloadKind> = {
  deployments: 'Deployment',
  statefulsets: 'StatefulSet',
  daemonsets: 'DaemonSet',
};
const PATCH_TYPES = ['application/strategic-merge-patch+json', 'application/merge-patch+json'];
const LEASES = 'leases.coordination.k8s.io';

/** Routes one request; unknown paths get a 404 `Status`, bad methods a 405. */
export function route(m: ClusterModel, req: SimRequest): SimResponse {
  try {
    return dispatch(m, req);
  } catch (err) {
    if (isKubeError(err)) return { code: err.code, body: err.body };
    throw err;
  }
}

function dispatch(m: ClusterModel, req: SimRequest): SimResponse {
  const seg = req.path.split('/').filter((s) => s !== '').map(decodeURIComponent);
  const { method } = req;

  // /version: discovery, open to every authenticated user.
  if (seg.length === 1 && seg[0] === 'version') {
    allow(method, ['GET']);
    return ok({
      major: '1', minor: '34', gitVersion: 'v1.34.0+sim', gitCommit: 'sim', gitTreeState: 'clean',
      buildDate: '2025-08-27T00:00:00Z', goVersion: 'go1.24.6', compiler: 'gc', platform: 'linux/amd64',
    });
  }

  // /apis/authorization.k8s.io/v1/selfsubjectaccessreviews: always allowed, as in Kubernetes.
  if (seg.join('/') === 'apis/authorization.k8s.io/v1/selfsubjectaccessreviews') {
    allow(method, ['POST']);
    return selfSubjectAccessReview(m, req);
  }

  // Authorization before routing, as the API server does: a forbidden request never reveals whether
  // the object exists.
  const refusal = authorize(m, method, seg, req.query);
  if (refusal) throw refusal;

  // Discovery (legacy, unaggregated), which kubectl reads before anything else.
  const discovery = discoveryDocument(m, req.path);
  if (discovery) {
    allow(method, ['GET']);
    return ok(discovery);
  }

  // /api/v1/nodes[/name]
  if (seg[0] === 'api' && seg[1] === 'v1' && seg[2] === 'nodes' && seg.length <= 4) {
    if (seg.length === 3) {
      allow(method, ['GET']);
      const items = [...m.nodes.values()].sort(byName).map((n) => renderNode(m, n));
      return ok(paged(m, renderList(m, 'v1', 'NodeList', items), req));
    }
    // PATCH: `kubectl cordon`/`uncordon` (spec.unschedulable) and `kubectl annotate` (drain.ts).
    allow(method, ['GET', 'PATCH']);
    const node = m.nodes.get(seg[3]!);
    if (!node) throw notFound('nodes', seg[3]!);
    if (method === 'PATCH') applyNodePatch(m, node.name, mergePatch(renderNode(m, node), parsePatch(req)) as Record<string, any>);
    return ok(renderNode(m, node));
  }

  // /api/v1/pods (all namespaces)
  if (seg[0] === 'api' && seg[1] === 'v1' && seg[2] === 'pods' && seg.length === 3) {
    allow(method, ['GET']);
    return ok(paged(m, podList(m, null, req.query), req));
  }

  // /api/v1/namespaces/{ns}/pods/{name}/eviction: the Eviction API (drain.ts).
  if (seg[0] === 'api' && seg[1] === 'v1' && seg[2] === 'namespaces' && seg[4] === 'pods' && seg[6] === 'eviction' && seg.length === 7) {
    allow(method, ['POST']);
    return evictionRequest(m, seg[3]!, seg[5]!, req.body);
  }

  // Plans of system-upgrade-controller, where their CRD is installed (plans.ts).
  const plan = routePlans(m, seg, method, req.accept ?? null);
  if (plan) return plan;

  // /api/v1/namespaces/{ns}/pods[/name]
  if (seg[0] === 'api' && seg[1] === 'v1' && seg[2] === 'namespaces' && seg[4] === 'pods' && seg.length <= 6) {
    const ns = seg[3]!;
    if (seg.length === 5) {
      allow(method, ['GET']);
      return ok(paged(m, podList(m, ns, req.query), req));
    }
    allow(method, ['GET', 'DELETE']);
    const pod = m.pods.get(`${ns}/${seg[5]}`);
    if (!pod) throw notFound('pods', seg[5]!);
    const rendered = renderPod(m, pod);
    if (method === 'DELETE') {
      m.restarts.push({ kind: 'Pod', namespace: ns, name: pod.name, at: m.now(), contentType: req.contentType, body: parseOptional(req.body) });
      m.deletePod(pod);
      // The API returns the object as it was when deletion began.
      const meta = rendered.metadata as Record<string, unknown>;
      meta.deletionTimestamp = new Date(m.now()).toISOString();
      meta.deletionGracePeriodSeconds = 30;
    }
    return ok(rendered);
  }

  // /apis/apps/v1/[namespaces/{ns}/]{deployments|statefulsets|daemonsets}[/name]
  if (seg[0] === 'apis' && seg[1] === 'apps' && seg[2] === 'v1') {
    if (seg.length === 4 && WORKLOAD_RESOURCES[seg[3]!]) {
      allow(method, ['GET']);
      return ok(paged(m, workloadList(m, WORKLOAD_RESOURCES[seg[3]!]!, null), req));
    }
    if (seg[3] === 'namespaces' && seg.length >= 6 && seg.length <= 7 && WORKLOAD_RESOURCES[seg[5]!]) {
      const ns = seg[4]!;
      const kind = WORKLOAD_RESOURCES[seg[5]!]!;
      if (seg.length === 6) {
        allow(method, ['GET']);
        return ok(paged(m, workloadList(m, kind, ns), req));
      }
      allow(method, ['GET', 'PATCH']);
      const w = m.workloads.get(workloadKey(kind, ns, seg[6]!));
      if (!w) throw notFound(`${seg[5]}.apps`, seg[6]!);
      if (method === 'PATCH') patchWorkload(m, kind, ns, seg[6]!, req);
      return ok(renderWorkload(m, w));
    }
  }

  // /apis/coordination.k8s.io/v1/namespaces/{ns}/leases[/name]
  if (seg[0] === 'apis' && seg[1] === 'coordination.k8s.io' && seg[2] === 'v1' && seg[3] === 'namespaces' && seg[5] === 'leases' && seg.length <= 7) {
    return leases(m, seg[4]!, seg[6], req);
  }

  // Events and pod logs (events.ts, logs.ts).
  const diagnosis = routeEvents(m, seg, method, req.query) ?? routeLog(m, seg, method, req.query);
  if (diagnosis !== null) {
    if (isKubeError(diagnosis)) throw diagnosis;
    return ok(diagnosis);
  }

  throw failure(404, 'NotFound', 'the server could not find the requested resource');
}

/** The 403 the simulator's RBAC rules give this request, or null when they allow it. */
function authorize(m: ClusterModel, method: string, seg: readonly string[], query: URLSearchParams): KubeError | null {
  const access = accessOf(method, seg, query);
  if (!access || isAllowed(m.rbac, access)) return null;
  return failure(403, 'Forbidden', forbiddenMessage(SIM_USER, access), { ...(access.name ? { name: access.name } : {}), kind: access.resource, ...(access.group ? { group: access.group } : {}) });
}

/** Answers a SelfSubjectAccessReview from the simulator's RBAC rules (resource attributes only). */
function selfSubjectAccessReview(m: ClusterModel, req: SimRequest): SimResponse {
  const body = parseObject(req.body);
  const spec = isObject(body.spec) ? body.spec : {};
  const attrs = isObject(spec.resourceAttributes) ? spec.resourceAttributes : null;
  if (!attrs) throw failure(422, 'Invalid', 'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified');
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  const access: SimAccess = {
    verb: text(attrs.verb),
    group: text(attrs.group),
    // A subresource is authorized as `<resource>/<subresource>`, as RBAC rules name it (`pods/log`).
    resource: text(attrs.subresource) ? `${text(attrs.resource)}/${text(attrs.subresource)}` : text(attrs.resource),
    ...(text(attrs.namespace) ? { namespace: text(attrs.namespace) } : {}),
    ...(text(attrs.name) ? { name: text(attrs.name) } : {}),
  };
  const allowed = isAllowed(m.rbac, access);
  return {
    code: 201,
    body: {
      kind: 'SelfSubjectAccessReview',
      apiVersion: 'authorization.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec,
      status: { allowed, ...(allowed ? { reason: 'RBAC: allowed by the simulator\'s rules' } : {}) },
    },
  };
}

/**
 * What a `?watch=1` request on `path` watches: nodes, pods (all or one namespace) or a workload
 * kind (all or one namespace), with `labelSelector` and `fieldSelector=metadata.name=…`. Anything
 * else, or a watch the RBAC rules of `m` forbid, is the Status the API would answer.
 */
export function watchSelection(path: string, query: URLSearchParams, m?: ClusterModel): WatchSelection | KubeError {
  const seg = path.split('/').filter((s) => s !== '').map(decodeURIComponent);
  // With the model: authorised by its RBAC rules first (verb `watch`), like every other request.
  const refusal = m ? authorize(m, 'GET', seg, query) : null;
  if (refusal) return refusal;
  let resource: WatchResource | undefined;
  let namespace: string | null = null;
  if (seg[0] === 'api' && seg[1] === 'v1') {
    if (seg.length === 3 && (seg[2] === 'nodes' || seg[2] === 'pods')) resource = seg[2];
    else if (seg.length === 5 && seg[2] === 'namespaces' && seg[4] === 'pods') [resource, namespace] = ['pods', seg[3]!];
  } else if (seg[0] === 'apis' && seg[1] === 'apps' && seg[2] === 'v1') {
    if (seg.length === 4 && WORKLOAD_RESOURCES[seg[3]!]) resource = seg[3] as WatchResource;
    else if (seg.length === 6 && seg[3] === 'namespaces' && WORKLOAD_RESOURCES[seg[5]!]) [resource, namespace] = [seg[5] as WatchResource, seg[4]!];
  }
  const eventsNamespace = eventsWatchNamespace(seg);
  if (eventsNamespace !== undefined) [resource, namespace] = ['events', eventsNamespace];
  // Plans only where their CRD is installed; without it the path is a 404 like any unknown one.
  const plansNamespace = m === undefined || m.plans !== null ? plansWatchNamespace(seg) : undefined;
  if (plansNamespace !== undefined) [resource, namespace] = ['plans', plansNamespace];
  if (!resource) return failure(404, 'NotFound', 'the server could not find the requested resource');
  let labels;
  try {
    labels = selectorOf(query);
  } catch (err) {
    return err as KubeError;
  }
  const field = query.get('fieldSelector') ?? '';
  if (resource === 'events') {
    try {
      return { resource, namespace, labels, name: null, fields: parseFieldSelector(field, EVENT_FIELDS) };
    } catch (err) {
      return err as KubeError;
    }
  }
  const byName = /^metadata\.name==?([^,=]+)$/.exec(field);
  if (field !== '' && !byName) return failure(400, 'BadRequest', `field label not supported: ${field}`);
  return { resource, namespace, labels, name: byName ? byName[1]! : null };
}

const RESOURCES: Record<string, { name: string; singularName: string; namespaced: boolean; kind: string; verbs: string[]; shortNames?: string[] }[]> = {
  v1: [
    { name: 'nodes', singularName: 'node', namespaced: false, kind: 'Node', verbs: ['get', 'list', 'patch', 'watch'], shortNames: ['no'] },
    { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['delete', 'get', 'list', 'watch'], shortNames: ['po'] },
    EVICTION_RESOURCE,
    { name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] },
    { name: 'events', singularName: 'event', namespaced: true, kind: 'Event', verbs: ['get', 'list', 'watch'], shortNames: ['ev'] },
  ],
  'apps/v1': [
    { name: 'daemonsets', singularName: 'daemonset', namespaced: true, kind: 'DaemonSet', verbs: ['get', 'list', 'patch', 'watch'], shortNames: ['ds'] },
    { name: 'deployments', singularName: 'deployment', namespaced: true, kind: 'Deployment', verbs: ['get', 'list', 'patch', 'watch'], shortNames: ['deploy'] },
    { name: 'statefulsets', singularName: 'statefulset', namespaced: true, kind: 'StatefulSet', verbs: ['get', 'list', 'patch', 'watch'], shortNames: ['sts'] },
  ],
  'coordination.k8s.io/v1': [
    { name: 'leases', singularName: 'lease', namespaced: true, kind: 'Lease', verbs: ['create', 'delete', 'get', 'list', 'update'] },
  ],
};

/** The discovery documents of the modelled groups (`/api`, `/apis`, `/api/v1`, `/apis/apps/v1`, …), or null. */
function discoveryDocument(m: ClusterModel, path: string): Record<string, unknown> | null {
  const p = path.replace(/\/+$/, '');
  if (p === '/version') return { major: '1', minor: '31', gitVersion: 'v1.31.0-sim', platform: 'linux/amd64' };
  if (p === '/api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
  if (p === '/apis') {
    // A custom resource's group is listed once its CRD is installed (plans.ts).
    const names = ['apps', 'coordination.k8s.io', ...(m.plans !== null ? [PLAN_GROUP] : [])];
    const groups = names.map((name) => {
      const version = { groupVersion: `${name}/v1`, version: 'v1' };
      return { name, versions: [version], preferredVersion: version };
    });
    return { kind: 'APIGroupList', apiVersion: 'v1', groups };
  }
  const groupVersion = p === '/api/v1' ? 'v1' : p.startsWith('/apis/') ? p.slice('/apis/'.length) : null;
  const resources = groupVersion ? RESOURCES[groupVersion] : undefined;
  if (!resources) return null;
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
}

/** The page of a collection's list that `limit` and `continue` ask for (paging.ts). */
function paged(m: ClusterModel, list: Record<string, unknown>, req: SimRequest): Record<string, unknown> {
  return m.lists.page(list, `${req.path}?${req.query.get('labelSelector') ?? ''}&${req.query.get('fieldSelector') ?? ''}`, req.query);
}

/** The pod fields a list may select on (a subset of the API server's; `kubectl drain` uses `spec.nodeName`). */
const POD_FIELDS = ['metadata.name', 'metadata.namespace', 'spec.nodeName'];

function podList(m: ClusterModel, ns: string | null, query: URLSearchParams): Record<string, unknown> {
  const reqs = selectorOf(query);
  const fields = parseFieldSelector(query.get('fieldSelector') ?? '', POD_FIELDS);
  const items = [...m.pods.values()]
    .filter((p) => (ns === null || p.namespace === ns) && simSelectorMatches(p.labels, reqs))
    .filter((p) => fieldsMatch({ 'metadata.name': p.name, 'metadata.namespace': p.namespace, 'spec.nodeName': p.nodeName ?? '' }, fields))
    .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name))
    .map((p) => renderPod(m, p));
  return renderList(m, 'v1', 'PodList', items);
}

function workloadList(m: ClusterModel, kind: SimWorkloadKind, ns: string | null): Record<string, unknown> {
  const items = [...m.workloads.values()]
    .filter((w) => w.kind === kind && (ns === null || w.namespace === ns))
    .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name))
    .map((w) => renderWorkload(m, w));
  return renderList(m, 'apps/v1', `${kind}List`, items);
}

/**
 * Applies a (strategic-)merge patch. Only the fields the simulator models are read back: pod-template
 * annotations (a change starts a rollout, which is what `kubectl rollout restart` relies on) and the
 * workload's own labels and annotations. For these plain maps both patch types behave alike.
 */
function patchWorkload(m: ClusterModel, kind: SimWorkloadKind, ns: string, name: string, req: SimRequest): void {
  const type = (req.contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const patch = parsePatch(req);
  const w = m.workloads.get(workloadKey(kind, ns, name))!;
  m.restarts.push({ kind, namespace: ns, name, at: m.now(), contentType: req.contentType, body: patch });

  const current = renderWorkload(m, w);
  const merged = mergePatch(current, patch) as Record<string, any>;
  const annotations = stringMap(merged.spec?.template?.metadata?.annotations);
  const changedTemplate = JSON.stringify(annotations) !== JSON.stringify(w.templateAnnotations);
  w.labels = stringMap(merged.metadata?.labels);
  w.annotations = stringMap(merged.metadata?.annotations);
  delete w.annotations['deployment.kubernetes.io/revision'];
  w.rv = m.bump();
  // Image and memory-limit changes (`kubectl set image`) are template changes too (diagnostics.ts).
  const containers = patchedContainers(w, patch, type === PATCH_TYPES[0]);
  if (containers) w.containers = containers;
  if (changedTemplate || containers) {
    w.templateAnnotations = annotations;
    m.startRollout(w);
  }
}

function leases(m: ClusterModel, ns: string, name: string | undefined, req: SimRequest): SimResponse {
  const now = new Date(m.now()).toISOString();
  if (name === undefined) {
    allow(req.method, ['GET', 'POST']);
    if (req.method === 'GET') {
      const items = [...m.leases.entries()].filter(([k]) => k.startsWith(`${ns}/`)).sort().map(([, l]) => l.object);
      return ok(renderList(m, 'coordination.k8s.io/v1', 'LeaseList', items));
    }
    const body = parseObject(req.body);
    const meta = isObject(body.metadata) ? body.metadata : {};
    const leaseName = typeof meta.name === 'string' ? meta.name : '';
    if (!leaseName) throw failure(422, 'Invalid', 'Lease.coordination.k8s.io "" is invalid: metadata.name: Required value: name is required');
    if (m.leases.has(`${ns}/${leaseName}`)) throw alreadyExists(LEASES, leaseName);
    const rv = m.bump();
    const object = {
      ...body,
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { ...meta, name: leaseName, namespace: ns, uid: m.uid(), resourceVersion: String(rv), creationTimestamp: now },
    };
    m.leases.set(`${ns}/${leaseName}`, { object, rv });
    return { code: 201, body: object };
  }

  allow(req.method, ['GET', 'PUT', 'DELETE']);
  const existing = m.leases.get(`${ns}/${name}`);
  if (!existing) throw notFound(LEASES, name);
  if (req.method === 'GET') return ok(existing.object);
  if (req.method === 'DELETE') {
    m.leases.delete(`${ns}/${name}`);
    return ok(success({ name, group: 'coordination.k8s.io', kind: 'leases' }));
  }
  const body = parseObject(req.body);
  const meta = isObject(body.metadata) ? body.metadata : {};
  if (meta.name !== undefined && meta.name !== name) {
    throw failure(400, 'BadRequest', `the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`);
  }
  // Optimistic concurrency: a PUT carrying an old resourceVersion lost a race.
  if (meta.resourceVersion !== undefined && meta.resourceVersion !== '' && meta.resourceVersion !== String(existing.rv)) {
    throw conflict(LEASES, name);
  }
  const rv = m.bump();
  const old = existing.object.metadata;
  const object = {
    ...body,
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { ...meta, name, namespace: ns, uid: old.uid, creationTimestamp: old.creationTimestamp, resourceVersion: String(rv) },
  };
  m.leases.set(`${ns}/${name}`, { object, rv });
  return ok(object);
}

/** The JSON object of a strategic-merge or merge PATCH; 415 for other patch types, 400 for a body that is not an object. */
function parsePatch(req: SimRequest): Record<string, unknown> {
  const type = (req.contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (!PATCH_TYPES.includes(type)) {
    throw failure(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(', ')}`);
  }
  let patch: unknown;
  try {
    patch = JSON.parse(req.body);
  } catch {
    throw failure(400, 'BadRequest', 'the request body is not valid JSON');
  }
  if (!isObject(patch)) throw failure(400, 'BadRequest', 'the patch must be a JSON object');
  return patch;
}

/** RFC 7386 JSON merge patch: objects merge recursively, `null` deletes, anything else replaces. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function selectorOf(query: URLSearchParams) {
  const text = query.get('labelSelector');
  if (!text) return [];
  try {
    return parseSimSelector(text);
  } catch (error) {
    throw failure(400, 'BadRequest', `unable to parse requirement: ${(error as Error).message}`);
  }
}

function allow(method: string, methods: string[]): void {
  if (!methods.includes(method)) throw failure(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
}

function ok(body: unknown): SimResponse {
  return { code: 200, body };
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name.localeCompare(b.name);
}

function parseObject(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    if (isObject(v)) return v;
  } catch {
    // fall through to the error below
  }
  throw failure(400, 'BadRequest', 'the request body is not a JSON object');
}

function parseOptional(text: string): unknown {
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function stringMap(v: unknown): Record<string, string> {
  if (!isObject(v)) return {};
  return Object.fromEntries(Object.entries(v).filter(([, x]) => typeof x === 'string')) as Record<string, string>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isKubeError(err: unknown): err is KubeError {
  return isObject(err) && typeof err.code === 'number' && isObject(err.body) && err.body.kind === 'Status';
}
