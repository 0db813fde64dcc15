// Bundles page modules the way the page's build does (for the browser, esbuild), to test the code the page runs and what it is made of.
import { build } from 'esbuild';
import { ROOT } from '../helpers/index.mjs';

/**
 * Bundles `source` (module text whose imports are relative to the repository's root) for the
 * browser. Resolves with the JavaScript and the files it was made from, relative to the root.
 */
export async function bundleForBrowser(source) {
  const result = await build({
    stdin: { contents: source, resolveDir: ROOT, loader: 'tsx', sourcefile: 'entry.tsx' },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir: 'page-code',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const js = result.outputFiles.find((f) => f.path.endsWith('.js')).text;
  return { js, inputs: Object.keys(result.metafile.inputs).filter((f) => f !== 'entry.tsx') };
}

/** Bundles `source` for the browser and imports it here. */
export async function importForBrowser(source) {
  const { js } = await bundleForBrowser(source);
  return import(`data:text/javascript;base64,${Buffer.from(js).toString('base64')}`);
}
