/** Asks the cluster's own RBAC what stormguard may do (SelfSubjectAccessReviews), and what that decides. */
import type { TargetConfig, WatchScopeSetting } from '../../config/types.js';
import { clusterWideReads, decideWatchScope, namespacesOf, type NeededAccess, type ScopeDecision } from './access.js';
import { describeKubeError } from './errors.js';
import type { KubeRequest } from './transport.js';

/** Whether the API server allows `need` to the current user; API failures throw (`ApiException`). */
export async function isAllowed(request: KubeRequest, need: NeededAccess): Promise<boolean> {
  const { verb, group, resource, subresource, namespace, name } = need;
  const review = await request<{ status?: { allowed?: boolean } }>('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { verb, group, resource, ...(subresource === undefined ? {} : { subresource }), ...(namespace === undefined ? {} : { namespace }), ...(name === undefined ? {} : { name }) } },
    },
  });
  return review.status?.allowed === true;
}

/**
 * The watch scope for `targets` under `setting`, as the adapter and the doctor both decide it: the
 * cluster's RBAC is asked only when the answer matters (`auto` over more than one namespace), and a
 * review that fails decides for `namespaces` with the reason.
 */
export async function askWatchScope(request: KubeRequest, setting: WatchScopeSetting, targets: readonly TargetConfig[], timeoutMs: number): Promise<ScopeDecision> {
  const namespaces = namespacesOf(targets).length;
  let allowed: boolean | Error | null = null;
  if (setting === 'auto' && namespaces > 1) {
    try {
      allowed = await allAllowed(request, clusterWideReads(targets));
    } catch (err) {
      allowed = new Error(describeKubeError(err, timeoutMs));
    }
  }
  return decideWatchScope(setting, namespaces, allowed);
}

/** Whether every need is allowed, asking one at a time and stopping at the first refusal. */
async function allAllowed(request: KubeRequest, needs: readonly NeededAccess[]): Promise<boolean> {
  for (const need of needs) if (!(await isAllowed(request, need))) return false;
  return true;
}
