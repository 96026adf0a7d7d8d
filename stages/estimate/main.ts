// Stage `estimate`: λ̂ per exported checkpoint (see run.ts).
import { runStage } from '../../pipeline/lib/stage/run-stage.ts';
import { estimate } from './estimates.ts';

await runStage('estimate', estimate);
