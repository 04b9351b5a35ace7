/** Asks the cluster's own RBAC whether stormguard may do something (a SelfSubjectAccessReview). */
import type { NeededAccess } from './access.js';
import type { KubeRequest } from './transport.js';

/** Whether the API server allows `need` to the current user; API failures throw (`ApiException`). */
export async function isAllowed(request: KubeRequest, need: NeededAccess): Promise<boolean> {
  const { verb, group, resource, namespace, name } = need;
  const review = await request<{ status?: { allowed?: boolean } }>('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { verb, group, resource, ...(namespace === undefined ? {} : { namespace }), ...(name === undefined ? {} : { name }) } },
    },
  });
  return review.status?.allowed === true;
}
