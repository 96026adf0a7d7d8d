// `npm run bench [-- --device cuda] [--only train,sgld,subnormals,workload] [--subnormal-steps N]
// [--workload-preset NAME]`: the speed figures we report — training ms/step per engine (tfjs
// backends and onnxruntime), SGLD chain-steps per second in onnxruntime (bench/sgld.ts, in
// its own process so its onnxruntime threads do not share the process with tfjs; its own
// flags pass through: --devinterp-src DIR measures devinterp beside it, --profile adds the
// step's per-op profile), step times with and without subnormal floats (bench/subnormals.ts,
// CPU only), and the default workload's time per stage (bench/workload.ts, ~18 min on 2 cores).
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { benchTrain } from './train.ts';
import { benchSubnormals } from './subnormals.ts';
import { benchWorkload } from './workload.ts';

const CASES = ['train', 'sgld', 'subnormals', 'workload'] as const;
/** The flags of ours that bench/sgld.ts must not see. */
const OWN = ['only', 'subnormal-steps', 'workload-preset'];
const { values } = parseArgs({
  options: { device: { type: 'string', default: 'cpu' }, only: { type: 'string', default: CASES.join(',') }, 'subnormal-steps': { type: 'string', default: '2400' }, 'workload-preset': { type: 'string' } },
  strict: false,
});
if (values.device !== 'cpu' && values.device !== 'cuda') throw new Error(`--device ${String(values.device)}: expected cpu or cuda`);
const only = String(values.only).split(',');
const unknown = only.filter((c) => !(CASES as readonly string[]).includes(c));
if (unknown.length) throw new Error(`--only ${unknown.join(',')}: expected some of ${CASES.join(', ')}`);
const subnormalSteps = Number(values['subnormal-steps']);
if (!Number.isInteger(subnormalSteps) || subnormalSteps < 100) throw new Error(`--subnormal-steps ${String(values['subnormal-steps'])}: expected an integer ≥ 100`);

process.stdout.write(`llc-pipeline benchmarks (${new Date().toISOString()}, node ${process.version})\n`);
if (only.includes('train')) await benchTrain(values.device);
if (only.includes('sgld')) {
  process.stdout.write('\n');
  // bench/sgld.ts takes --device and its own flags; the rest are ours.
  const ours = (a: string | undefined) => OWN.some((f) => a === `--${f}` || a?.startsWith(`--${f}=`));
  const own = process.argv.slice(2).filter((a, i, all) => !ours(a) && !(all[i - 1] !== undefined && OWN.includes(all[i - 1]!.slice(2))));
  await execa(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./sgld.ts', import.meta.url)), ...own], { stdio: 'inherit' });
}
if (only.includes('subnormals')) {
  if (values.device === 'cuda') process.stdout.write('\nsubnormal floats: a CPU matter (the flags are the CPU threads\'); skipped with --device cuda\n');
  else await benchSubnormals(subnormalSteps);
}
if (only.includes('workload')) await benchWorkload(values['workload-preset'] as string | undefined);
