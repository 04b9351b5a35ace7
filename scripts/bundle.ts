/**
 * Bundles the production build: `src/bin.ts` and everything it imports into `dist/stormguard.js`,
 * with what only some commands or configurations use (doctor, demo, Discord, SMTP) split into chunks
 * loaded when needed. Why a bundle: importing `@kubernetes/client-node` by its index evaluates its
 * whole generated API (every model of every group); tree-shaken, only the parts stormguard runs on
 * remain — a bare start takes 79 MB instead of 116 MB, the bot at 1,000 targets about 35 MB less
 * (`npm run bench` measures it as `scale.rss_mb`).
 */
import { build, type Metafile, type Plugin } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = path.join(ROOT, 'dist');

/**
 * Packages loaded from node_modules at run time rather than bundled: native addons (their `.node`
 * binary is found relative to their own package); optional packages that discord.js and ws try to
 * load and do without when absent; and node-fetch (client-node's HTTP client), whose `url.parse` and
 * built-in `punycode` Node deprecates with a warning on every start for code outside node_modules.
 */
export const RUNTIME_PACKAGES = ['better-sqlite3', 'better-sqlite3-napi', 'zlib-sync', 'bufferutil', 'utf-8-validate', 'erlpack', 'node-fetch'];

/**
 * client-node's `KubeConfig` module takes two helpers for its typed API clients from the generated
 * API's index, and through it every model and the serializer that maps them all, which a bundle
 * cannot drop (they assign at load time). Point that one import at the two modules it means.
 */
const kubeConfigWithoutModels: Plugin = {
  name: 'kubeconfig-without-models',
  setup(b) {
    b.onResolve({ filter: /^\.\/gen\/index\.js$/ }, (args) =>
      args.importer.endsWith(path.join('@kubernetes', 'client-node', 'dist', 'config.js')) ? { path: path.join(path.dirname(args.importer), 'gen', 'index.js'), namespace: 'kubeconfig-gen' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'kubeconfig-gen' }, (args) => ({
      contents: ['configuration.js', 'servers.js'].map((m) => `export * from ${JSON.stringify(path.join(path.dirname(args.path), m))};`).join('\n'),
      resolveDir: path.dirname(args.path),
    }));
  },
};

/** Bundles into `outdir` (emptied first); answers esbuild's metafile (which input went where). */
export async function bundle(outdir: string = OUT): Promise<Metafile> {
  fs.rmSync(outdir, { recursive: true, force: true });
  const result = await build({
    entryPoints: { stormguard: path.join(ROOT, 'src/bin.ts') },
    outdir,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: RUNTIME_PACKAGES,
    // Bundled CommonJS packages call require(); in an ES module it has to be made.
    banner: { js: "import { createRequire as __stormguardRequire } from 'node:module'; const require = __stormguardRequire(import.meta.url);" },
    sourcemap: 'linked',
    legalComments: 'linked',
    plugins: [kubeConfigWithoutModels],
    metafile: true,
    logLevel: 'warning',
  });
  return result.metafile;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await bundle();
