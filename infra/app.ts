import { createServiceApp } from './service-app.js';

// `npx cdk synth|deploy -c stage=<dev|staging|prod>`; defaults to dev.
createServiceApp().app.synth();
