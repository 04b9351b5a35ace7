/**
 * RBAC as the API server evaluates it, for the deploy tests: what one ServiceAccount may do, from
 * rendered objects (kustomize's or helm's), flattened to one grant per namespace, group, resource
 * and verb, so two renderings can be compared regardless of how they name or split their roles.
 */
import type { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import type { IPolicyRule } from 'kubernetes-models/rbac.authorization.k8s.io/v1/PolicyRule';
import type { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import type { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';

/** A rendered Kubernetes object, as parsed from YAML. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

/** One permission the ServiceAccount ends up with; `namespace` undefined means cluster-wide. */
export interface Grant {
  namespace: string | undefined;
  group: string;
  resource: string;
  verb: string;
  resourceNames: readonly string[] | undefined;
}

/** What the ServiceAccount may do: every rule of every role bound to it, flattened. */
export function effectiveGrants(objects: KubeObject[], account: { name: string; namespace: string }): Grant[] {
  const roles = new Map<string, IPolicyRule[]>();
  for (const o of objects) {
    if (o.kind === 'ClusterRole') roles.set(`ClusterRole/${o.metadata.name}`, (o as unknown as ClusterRole).rules ?? []);
    if (o.kind === 'Role') roles.set(`Role/${o.metadata.namespace}/${o.metadata.name}`, (o as unknown as Role).rules ?? []);
  }
  const grants: Grant[] = [];
  for (const o of objects) {
    if (o.kind !== 'RoleBinding' && o.kind !== 'ClusterRoleBinding') continue;
    const { roleRef, subjects = [] } = o as unknown as RoleBinding;
    if (!subjects.some((s) => s.kind === 'ServiceAccount' && s.name === account.name && s.namespace === account.namespace)) continue;
    // A RoleBinding grants in its namespace even when it refers to a ClusterRole.
    const namespace = o.kind === 'RoleBinding' ? o.metadata.namespace : undefined;
    const key = roleRef.kind === 'Role' ? `Role/${o.metadata.namespace}/${roleRef.name}` : `ClusterRole/${roleRef.name}`;
    for (const rule of roles.get(key) ?? []) {
      for (const group of rule.apiGroups ?? []) {
        for (const resource of rule.resources ?? []) {
          for (const verb of rule.verbs) grants.push({ namespace, group, resource, verb, resourceNames: rule.resourceNames });
        }
      }
    }
  }
  return grants;
}

/** Grants as sorted one-line strings (`nvr apps/deployments patch`), for comparing renderings. */
export function describeGrants(grants: readonly Grant[]): string[] {
  const lines = grants.map(
    (g) => `${g.namespace ?? '(cluster)'} ${g.group || 'core'}/${g.resource} ${g.verb}${g.resourceNames ? ` [${[...g.resourceNames].sort().join(',')}]` : ''}`,
  );
  return [...new Set(lines)].sort();
}
