// `npm run bench`: the speed figures we report — training ms/step per tfjs backend and
// SGLD chain-steps per second in onnxruntime (bench/sgld.ts, in its own process so its
// onnxruntime threads do not share the process with tfjs).
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { benchTrain } from './train.ts';

process.stdout.write(`llc-pipeline benchmarks (${new Date().toISOString()}, node ${process.version})\n`);
await benchTrain();
process.stdout.write('\n');
await execa(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./sgld.ts', import.meta.url)), ...process.argv.slice(2)], { stdio: 'inherit' });
