import { describeStage } from './stage-suite';

describeStage('prod');
