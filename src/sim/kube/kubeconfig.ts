/** The kubeconfig that points a real Kubernetes client at the simulator. */

/** YAML text with one cluster, user and context, all named `sim`, for the server at `url`. */
export function simKubeconfig(url: string): string {
  // Plain HTTP on loopback: client-node only allows http:// servers when TLS verification is off.
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '  - name: sim',
    '    cluster:',
    `      server: ${url}`,
    '      insecure-skip-tls-verify: true',
    'users:',
    '  - name: sim',
    '    user:',
    '      token: sim-token',
    'contexts:',
    '  - name: sim',
    '    context:',
    '      cluster: sim',
    '      user: sim',
    '      namespace: default',
    'current-context: sim',
    '',
  ].join('\n');
}
