/** Restarting a target the way `kubectl` does: a rollout restart, or deleting the pods a Pods target selects. */
import type { V1Pod } from '@kubernetes/client-node';
import type { TargetConfig } from '../../config/types.js';
import { WORKLOAD_RESOURCES, collectionPath } from './access.js';
import { describeKubeError } from './errors.js';
import type { KubeRequest } from './transport.js';

/** Restarts `target` at `now`; throws a wrapped Error naming the workload on failure. */
export async function restartTarget(request: KubeRequest, target: TargetConfig, now: number, timeoutMs: number): Promise<void> {
  const { namespace, workload } = target;
  const what = `${namespace}/${workload.kind}/${workload.kind === 'Pods' ? workload.selector : workload.name}`;
  try {
    if (workload.kind === 'Pods') {
      await deletePods(request, namespace, workload.selector);
      return;
    }
    // A strategic merge patch, as kubectl sends it: it merges the annotation into the template.
    const path = `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/${WORKLOAD_RESOURCES[workload.kind]}/${encodeURIComponent(workload.name)}`;
    await request('PATCH', path, { body: restartPatch(now), contentType: 'application/strategic-merge-patch+json' });
  } catch (cause) {
    throw new Error(`kube: restart of ${what} failed: ${describeKubeError(cause, timeoutMs)}`, { cause });
  }
}

/** Exactly the patch `kubectl rollout restart` sends (RFC 3339, seconds, UTC). */
function restartPatch(now: number): { spec: { template: { metadata: { annotations: Record<string, string> } } } } {
  const at = new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': at } } } } };
}

/** Deletes the pods a Pods target selects (their controller, if any, makes new ones); already gone is fine. */
async function deletePods(request: KubeRequest, namespace: string, labelSelector: string): Promise<void> {
  const pods = collectionPath({ kind: 'Pod', namespace });
  const { items } = await request<{ items: V1Pod[] }>('GET', pods, { query: { labelSelector } });
  if (items.length === 0) throw new Error(`no pods match ${labelSelector}`);
  for (const pod of items) {
    const name = pod.metadata?.name;
    if (!name) continue;
    try {
      await request('DELETE', `${pods}/${encodeURIComponent(name)}`);
    } catch (err) {
      // Already gone is what we wanted.
      if ((err as { code?: number }).code !== 404) throw err;
    }
  }
}
