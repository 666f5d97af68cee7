import { describeTotpFlows } from './totp-flows.js';

describeTotpFlows('DynamoDB Local');
