// Stage `estimate`: λ̂ per exported checkpoint (see run.ts).
import { runStage } from '../lib/stage.ts';
import { estimate } from './run.ts';

await runStage('estimate', estimate);
