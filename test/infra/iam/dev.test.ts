import { describeStage } from './stage-suite';

describeStage('dev');
