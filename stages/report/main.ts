// Stage `report`: one self-contained HTML report of the run (see report.ts).
import { runStage } from '../../pipeline/lib/stage/run-stage.ts';
import { writeReport } from './report.ts';

await runStage('report', writeReport);
