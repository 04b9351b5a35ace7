/** Kubernetes `Status` bodies, the shape every API error (and a successful DELETE) takes. */

/** A `metav1.Status` object as the API server sends it. */
export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { name?: string; group?: string; kind?: string };
  code: number;
}

/** An HTTP status and the `Status` body that goes with it. */
export interface KubeError {
  code: number;
  body: KubeStatus;
}

/** Builds a failure `Status` with the given HTTP code and machine-readable reason. */
export function failure(code: number, reason: string, message: string, details?: KubeStatus['details']): KubeError {
  const body: KubeStatus = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details) body.details = details;
  return { code, body };
}

/** `404 NotFound` for `resource` (`pods`, `deployments.apps`, …) named `name`. */
export function notFound(resource: string, name: string): KubeError {
  const [kind = resource, group] = resource.split(/\.(.*)/s);
  return failure(404, 'NotFound', `${resource} "${name}" not found`, { name, ...(group ? { group } : {}), kind });
}

/** `409 AlreadyExists`, the answer to a POST of an existing name. */
export function alreadyExists(resource: string, name: string): KubeError {
  const [kind = resource, group] = resource.split(/\.(.*)/s);
  return failure(409, 'AlreadyExists', `${resource} "${name}" already exists`, { name, ...(group ? { group } : {}), kind });
}

/** `409 Conflict`, the answer to an update carrying a stale `metadata.resourceVersion`. */
export function conflict(resource: string, name: string): KubeError {
  const [kind = resource, group] = resource.split(/\.(.*)/s);
  return failure(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, ...(group ? { group } : {}), kind },
  );
}

/** A `Status` with `status: Success`, as returned by some DELETE calls. */
export function success(details?: KubeStatus['details']): KubeStatus {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 200, ...(details ? { details } : {}) };
}
