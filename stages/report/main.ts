// Stage `report`: one self-contained HTML report of the run (see report.ts).
import { runStage } from '../lib/stage.ts';
import { writeReport } from './report.ts';

await runStage('report', writeReport);
