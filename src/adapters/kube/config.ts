/** Finds and loads the kubeconfig stormguard uses (SPEC §6 `kubernetes`). */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { isIPv6 } from 'node:net';
import { KubeConfig } from './clientNode.js';

const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Where the configuration comes from, in the order the options are tried. */
export interface KubeConfigSource {
  /** A kubeconfig path from the configuration file. */
  kubeconfig?: string;
  context?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Loads in-cluster config when `KUBERNETES_SERVICE_HOST` is set and no path is configured; else
 * the configured path, else `$KUBECONFIG` (a path list, merged), else `~/.kube/config`. Applies
 * `context` when given. Throws an Error naming what was missing.
 */
export function loadKubeConfig(source: KubeConfigSource): KubeConfig {
  const env = source.env ?? process.env;
  const kc = new KubeConfig();
  if (source.kubeconfig) {
    loadFile(kc, source.kubeconfig);
  } else if (env.KUBERNETES_SERVICE_HOST) {
    loadInCluster(kc, env);
  } else if (env.KUBECONFIG) {
    const [first, ...rest] = env.KUBECONFIG.split(delimiter).filter((p) => p !== '');
    loadFile(kc, first!);
    for (const path of rest) {
      const other = new KubeConfig();
      loadFile(other, path);
      kc.mergeConfig(other);
    }
  } else {
    const path = join(env.HOME ?? homedir(), '.kube', 'config');
    if (!existsSync(path)) {
      throw new Error(`kube: no kubeconfig found (not in a cluster, $KUBECONFIG unset, ${path} missing)`);
    }
    loadFile(kc, path);
  }
  if (source.context) {
    if (!kc.getContextObject(source.context)) {
      throw new Error(`kube: context "${source.context}" not found in kubeconfig`);
    }
    kc.setCurrentContext(source.context);
  }
  if (!kc.getCurrentCluster()) throw new Error('kube: the kubeconfig has no current cluster');
  return kc;
}

function loadFile(kc: KubeConfig, path: string): void {
  try {
    kc.loadFromFile(path);
  } catch (cause) {
    throw new Error(`kube: cannot load kubeconfig ${path}: ${(cause as Error).message}`, { cause });
  }
}

/** Like client-node's `loadFromCluster`, but reading the given environment instead of `process.env`. */
function loadInCluster(kc: KubeConfig, env: NodeJS.ProcessEnv): void {
  const host = env.KUBERNETES_SERVICE_HOST!;
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  const server = `https://${isIPv6(host) ? `[${host}]` : host}:${port}`;
  kc.loadFromClusterAndUser(
    { name: 'inCluster', server, caFile: `${SERVICE_ACCOUNT}/ca.crt`, skipTLSVerify: false },
    // The tokenFile provider re-reads the projected token, which the kubelet rotates.
    { name: 'inClusterUser', authProvider: { name: 'tokenFile', config: { tokenFile: `${SERVICE_ACCOUNT}/token` } } },
  );
}
