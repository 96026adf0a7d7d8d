// `npm run bench [-- --device cuda]`: the speed figures we report — training ms/step per
// engine (tfjs backends and onnxruntime) and SGLD chain-steps per second in onnxruntime
// (bench/sgld.ts, in its own process so its onnxruntime threads do not share the process
// with tfjs).
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { benchTrain } from './train.ts';

const { values } = parseArgs({ options: { device: { type: 'string', default: 'cpu' } }, strict: false });
if (values.device !== 'cpu' && values.device !== 'cuda') throw new Error(`--device ${String(values.device)}: expected cpu or cuda`);
process.stdout.write(`llc-pipeline benchmarks (${new Date().toISOString()}, node ${process.version})\n`);
await benchTrain(values.device);
process.stdout.write('\n');
await execa(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./sgld.ts', import.meta.url)), ...process.argv.slice(2)], { stdio: 'inherit' });
