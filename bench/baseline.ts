/**
 * The per-target polling baseline: what a naive health-check CronJob does every run. For each target,
 * read its node and list its pods by label selector (two Kubernetes requests per target), then GET
 * its health URL — 16 targets at a time, like stormguard's probes, with the real
 * `@kubernetes/client-node` against the same simulator.
 */
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';

/** One target as the naive checker knows it. */
export interface BaselineTarget {
  name: string;
  namespace: string;
  node: string;
  /** Label selector of its pods. */
  selector: string;
  /** Health URL, or null for none. */
  url: string | null;
}

/** What one naive pass found. */
export interface BaselineReport {
  healthy: number;
  unhealthy: number;
}

/** A naive checker bound to one cluster. */
export interface BaselineChecker {
  /** One pass over every target: 2 Kubernetes requests per target, plus its HTTP probe. */
  check(targets: BaselineTarget[]): Promise<BaselineReport>;
}

/** Creates the checker from kubeconfig YAML. */
export function createBaselineChecker(kubeconfig: string, options: { concurrency?: number; probeTimeoutMs?: number } = {}): BaselineChecker {
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const concurrency = options.concurrency ?? 16;
  const probeTimeoutMs = options.probeTimeoutMs ?? 5_000;

  async function checkOne(target: BaselineTarget): Promise<boolean> {
    const node = await core.readNode({ name: target.node });
    const nodeReady = node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    const pods = await core.listNamespacedPod({ namespace: target.namespace, labelSelector: target.selector });
    const podsReady =
      pods.items.length > 0 && pods.items.every((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false);
    let probeOk = true;
    if (target.url) {
      try {
        const res = await fetch(target.url, { redirect: 'manual', signal: AbortSignal.timeout(probeTimeoutMs) });
        await res.body?.cancel().catch(() => undefined);
        probeOk = res.status === 200;
      } catch {
        probeOk = false;
      }
    }
    return nodeReady && podsReady && probeOk;
  }

  return {
    async check(targets) {
      let next = 0;
      let healthy = 0;
      const worker = async () => {
        while (next < targets.length) {
          const target = targets[next++]!;
          if (await checkOne(target)) healthy++;
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, targets.length) }, worker));
      return { healthy, unhealthy: targets.length - healthy };
    },
  };
}
