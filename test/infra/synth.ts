import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import type { StageName } from '../../infra/config/stages.js';
import { createServiceApp, type ServiceApp } from '../../infra/service-app.js';

/** Same feature flags as `cdk synth`: `new App()` does not read cdk.json by itself. */
export const CDK_JSON_CONTEXT: Record<string, unknown> = JSON.parse(
  readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'),
).context;

export interface ValidationReport {
  pluginReports: {
    pluginName: string;
    conclusion: string;
    violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[];
  }[];
}

export interface SynthesizedStage extends ServiceApp {
  readonly assembly: CloudAssembly;
  readonly statefulTemplate: Template;
  readonly statelessTemplate: Template;
  readonly report: ValidationReport;
}

const outdirs: string[] = [];

/** Call from afterAll: each synth writes a cloud assembly (with bundles) to a temp dir. */
export function removeSynthOutputs(): void {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export interface SynthOptions {
  /** Run esbuild (slow-ish); off by default: the templates are identical apart from asset hashes. */
  readonly bundle?: boolean;
  readonly context?: Record<string, unknown>;
}

/**
 * Synthesizes one stage exactly as `cdk synth -c stage=<stage>` would (cdk.json flags,
 * cdk-nag plugins), offline: no CDK_DEFAULT_* so the placeholder account/region apply.
 * Call once per file (module scope / beforeAll): each call is a full synth.
 */
export function synthStage(stage: StageName, options: SynthOptions = {}): SynthesizedStage {
  const outdir = mkdtempSync(path.join(tmpdir(), `cdk-${stage}-`));
  outdirs.push(outdir);
  const service = createServiceApp({
    env: {},
    appProps: {
      outdir,
      context: {
        ...CDK_JSON_CONTEXT,
        // The CLI sets this; tests find resources by construct path.
        'aws:cdk:enable-path-metadata': true,
        'aws:cdk:enable-asset-metadata': true,
        stage,
        ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
        ...options.context,
      },
    },
  });
  const assembly = service.app.synth();
  const template = (stackName: string) => Template.fromJSON(assembly.getStackByName(stackName).template);
  return {
    ...service,
    assembly,
    statefulTemplate: template(service.stateful.stackName),
    statelessTemplate: template(service.stateless.stackName),
    report: JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as ValidationReport,
  };
}

export type CfnResource = { Type: string; Properties?: Record<string, any>; DependsOn?: string | string[] } & Record<string, any>;

export function resourcesOfType(template: Template, type: string): Record<string, CfnResource> {
  return template.findResources(type) as Record<string, CfnResource>;
}

export function onlyResource(template: Template, type: string): [string, CfnResource] {
  const entries = Object.entries(resourcesOfType(template, type));
  if (entries.length !== 1) throw new Error(`expected exactly one ${type}, found ${entries.length}`);
  return entries[0]!;
}

/** Logical id of the resource whose construct path starts with `pathPrefix` (e.g. `Register/Function`). */
export function logicalIdAt(template: Template, type: string, pathPrefix: string): string {
  const match = Object.entries(resourcesOfType(template, type)).find(([, r]) =>
    String(r.Metadata?.['aws:cdk:path'] ?? '').includes(`/${pathPrefix}/`),
  );
  if (!match) throw new Error(`no ${type} under ${pathPrefix}`);
  return match[0];
}

export const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];
