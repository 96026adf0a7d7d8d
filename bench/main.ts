// `npm run bench`: the speed figures we report — training ms/step per tfjs backend and
// SGLD chain-steps per second in onnxruntime.
import { benchTrain } from './train.ts';

process.stdout.write(`llc-pipeline benchmarks (${new Date().toISOString()}, node ${process.version})\n`);
await benchTrain();
