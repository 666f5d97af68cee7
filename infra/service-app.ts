import { App, Tags, type AppProps } from 'aws-cdk-lib';
import { addComplianceChecks } from './compliance.js';
import { resolveStageConfig, type StageConfig } from './config/stages.js';
import { StatefulStack } from './stacks/stateful-stack.js';
import { StatelessStack, statefulResourcesOf } from './stacks/stateless-stack.js';

export interface ServiceApp {
  readonly app: App;
  readonly config: StageConfig;
  readonly stateful: StatefulStack;
  readonly stateless: StatelessStack;
}

export interface ServiceAppOptions {
  readonly appProps?: AppProps;
  /** Handler entries root; tests may point elsewhere. @default functions/ in the repo */
  readonly functionsDir?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** The whole deployable unit for one stage: used by infra/app.ts and by the infra tests. */
export function createServiceApp(options: ServiceAppOptions = {}): ServiceApp {
  const app = new App(options.appProps);
  const config = resolveStageConfig((key) => app.node.tryGetContext(key), options.env);
  const env = { account: config.account, region: config.region };
  const prefix = `PatientRegistration-${config.stage}`;

  const stateful = new StatefulStack(app, `${prefix}-Stateful`, {
    env,
    config,
    description: `Patient registration (${config.stage}): table and KMS keys`,
    // Termination protection where the data must survive an accidental `cdk destroy`.
    terminationProtection: config.tableDeletionProtection,
  });
  const stateless = new StatelessStack(app, `${prefix}-Stateless`, {
    env,
    config,
    description: `Patient registration (${config.stage}): API, functions, WAF, alarms`,
    ...statefulResourcesOf(stateful),
    ...(options.functionsDir ? { functionsDir: options.functionsDir } : {}),
  });

  Tags.of(app).add('service', 'patient-registration');
  Tags.of(app).add('stage', config.stage);
  addComplianceChecks(app);
  return { app, config, stateful, stateless };
}
