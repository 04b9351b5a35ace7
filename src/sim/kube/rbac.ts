/**
 * RBAC for the Kubernetes simulator: the rules granted to the one user the simulator serves, how a
 * request is turned into authorization attributes (as the API server's RequestInfo does), and the
 * decision. The same decision answers `SelfSubjectAccessReview` and guards every route, so what the
 * simulator says a user may do is exactly what it lets the user do.
 */

/**
 * One granted rule, as a Role (with `namespaces`) or ClusterRole (without) would state it, bound to
 * the simulator's user. Absent `apiGroups` means the core group only (`""`); `"*"` matches anything.
 */
export interface SimRbacRule {
  verbs: string[];
  resources: string[];
  apiGroups?: string[];
  /** The namespaces a RoleBinding grants it in; absent = cluster-wide (ClusterRoleBinding). */
  namespaces?: string[];
  resourceNames?: string[];
}

/** What a request asks to do: the attributes the authorizer decides on. */
export interface SimAccess {
  verb: string;
  group: string;
  resource: string;
  /** Absent or empty for cluster-scoped resources and all-namespace lists. */
  namespace?: string;
  name?: string;
}

/**
 * Whether `rules` allow `access`. `null` rules mean RBAC is not modelled: everything is allowed (the
 * simulator's default, as most tests do not care). Like Kubernetes, a rule with `resourceNames`
 * never matches a request without a name (list, watch, create).
 */
export function isAllowed(rules: readonly SimRbacRule[] | null, access: SimAccess): boolean {
  if (rules === null) return true;
  return rules.some((rule) => {
    const groups = rule.apiGroups ?? [''];
    if (!matchesAny(rule.verbs, access.verb) || !matchesAny(groups, access.group) || !matchesAny(rule.resources, access.resource)) return false;
    if (rule.namespaces !== undefined && !(access.namespace && rule.namespaces.includes(access.namespace))) return false;
    if (rule.resourceNames !== undefined && rule.resourceNames.length > 0) return access.name !== undefined && rule.resourceNames.includes(access.name);
    return true;
  });
}

function matchesAny(granted: readonly string[], wanted: string): boolean {
  return granted.includes('*') || granted.includes(wanted);
}

/**
 * The attributes of a resource request, derived from its method, path and query as the API server
 * does (`GET` of a collection is `list`, or `watch` with `?watch=true`; `PUT` is `update`…); `null`
 * for paths that are not resource requests (discovery, SelfSubjectAccessReview itself).
 */
export function accessOf(method: string, segments: readonly string[], query: URLSearchParams): SimAccess | null {
  let rest: readonly string[];
  let group: string;
  if (segments[0] === 'api' && segments[1] === 'v1') {
    group = '';
    rest = segments.slice(2);
  } else if (segments[0] === 'apis' && segments.length >= 3) {
    group = segments[1]!;
    rest = segments.slice(3);
  } else {
    return null;
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [base, name, subresource] = rest;
  if (base === undefined || rest.length > 3) return null;
  // A subresource (`pods/log`) is authorized as `<resource>/<subresource>`, as RBAC rules name it.
  const resource = subresource === undefined ? base : `${base}/${subresource}`;
  const collection = name === undefined;
  const verb =
    method === 'GET'
      ? collection
        ? query.get('watch') === 'true' || query.get('watch') === '1'
          ? 'watch'
          : 'list'
        : 'get'
      : method === 'POST'
        ? 'create'
        : method === 'PUT'
          ? 'update'
          : method === 'PATCH'
            ? 'patch'
            : method === 'DELETE'
              ? collection
                ? 'deletecollection'
                : 'delete'
              : method.toLowerCase();
  // As the API server's RequestInfo (k8s.io/apiserver pkg/endpoints/request/requestinfo.go): a list or
  // watch narrowed to one object by `fieldSelector=metadata.name=x` is authorized as a request for x,
  // so a rule with `resourceNames` can grant it.
  const named = name ?? ((verb === 'list' || verb === 'watch') ? /^metadata\.name==?([^,=]+)$/.exec(query.get('fieldSelector') ?? '')?.[1] : undefined);
  return { verb, group, resource, ...(namespace !== undefined ? { namespace } : {}), ...(named !== undefined ? { name: named } : {}) };
}

/** The message a real API server puts in a 403 `Status` (so clients and people see the same words). */
export function forbiddenMessage(user: string, access: SimAccess): string {
  const resource = access.group === '' ? access.resource : `${access.resource}.${access.group}`;
  const named = access.name ? ` "${access.name}"` : '';
  const scope = access.namespace ? ` in the namespace "${access.namespace}"` : ' at the cluster scope';
  return `${resource}${named} is forbidden: User "${user}" cannot ${access.verb} resource "${access.resource}" in API group "${access.group}"${scope}`;
}
