import type { BuildOptions } from 'esbuild';
import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { REPO_ROOT } from '../paths.js';

/**
 * How every function's code is built: the one place for the runtime and the esbuild settings. The
 * construct (./service-function.ts) hands FUNCTION_BUNDLING to NodejsFunction; the bench and the
 * bundle-content test build the same bundle in process from esbuildOptionsFor(), and
 * test/infra/function-bundles.test.ts proves CDK's bundle and that one are byte for byte the same.
 */

/**
 * Newest Node runtime in aws-cdk-lib 2.276.0 (nodejs20.x is deprecated). Pinned rather
 * than NODEJS_LATEST so a CDK upgrade never changes the runtime without a review.
 */
export const FUNCTION_RUNTIME = Runtime.NODEJS_24_X;

// Bundled CommonJS dependencies call require() for Node built-ins; ESM has no require,
// so the bundle gets one. Aliased import so it cannot clash with bundled identifiers.
const ESM_REQUIRE_BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

export const FUNCTION_BUNDLING = {
  forceDockerBundling: false,
  format: OutputFormat.ESM,
  banner: ESM_REQUIRE_BANNER,
  // Prefer packages' ESM builds: better tree-shaking of the SDK.
  mainFields: ['module', 'main'],
  minify: true,
  // Error classes are matched and logged by name; minified names would be useless.
  keepNames: true,
  sourceMap: true,
  // Maps still resolve file:line; leaving sources out keeps the zip small.
  sourcesContent: false,
  // Pin the SDK version we test against instead of the runtime's copy.
  bundleAwsSDK: true,
  // Keep `cdk synth --quiet` quiet; esbuild still prints warnings and errors.
  logLevel: LogLevel.WARNING,
} as const satisfies BundlingOptions;

/**
 * The esbuild options CDK's local bundling derives from FUNCTION_BUNDLING and FUNCTION_RUNTIME, as
 * aws-cdk-lib 2.276's Bundling#buildEsbuildArgs turns them into flags (`--bundle <entry>
 * --target=node24 --platform=node --format=esm --outfile=… --minify --sourcemap --sources-content=false
 * --log-level=warning --keep-names --banner:js=… --main-fields=module,main`, run in the project root,
 * no --external with bundleAwsSDK). A setting added to FUNCTION_BUNDLING that is not mapped here throws,
 * so the bench can never measure a bundle Lambda does not get.
 */
export function esbuildOptionsFor(entry: string, outfile: string): BuildOptions {
  const { forceDockerBundling, bundleAwsSDK, format, banner, mainFields, minify, keepNames, sourceMap, sourcesContent, logLevel, ...unmapped } = FUNCTION_BUNDLING;
  if (Object.keys(unmapped).length > 0) throw new Error(`esbuildOptionsFor: map ${Object.keys(unmapped).join(', ')} as CDK does`);
  if (forceDockerBundling || !bundleAwsSDK) throw new Error('esbuildOptionsFor: only local bundling with the SDK bundled is mapped');
  const node = /^nodejs(\d+)/.exec(FUNCTION_RUNTIME.name);
  if (!node) throw new Error(`esbuildOptionsFor: no Node version in ${FUNCTION_RUNTIME.name}`);
  return {
    entryPoints: [entry],
    bundle: true,
    target: `node${node[1]}`,
    platform: 'node',
    format: format === OutputFormat.ESM ? 'esm' : 'cjs',
    outfile,
    minify,
    sourcemap: sourceMap,
    sourcesContent,
    logLevel: logLevel === LogLevel.WARNING ? 'warning' : logLevel === LogLevel.ERROR ? 'error' : logLevel === LogLevel.SILENT ? 'silent' : 'info',
    keepNames,
    banner: { js: banner },
    mainFields: [...mainFields],
    absWorkingDir: REPO_ROOT,
  };
}
