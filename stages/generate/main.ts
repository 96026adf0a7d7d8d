// Stage `generate`: the dataset of SPEC.md §1 from `generate.seed`.
import type { DatasetSummary } from '../../schemas/dataset.ts';
import { runStage } from '../../pipeline/lib/stage/run-stage.ts';
import { ALPHABET, X_TOKEN, asLetters, generateDataset, type Split } from './dataset.ts';

const SHOWN = 5;

function asTensors(split: Split, seqLen: number) {
  return {
    tokens: { dtype: 'I64' as const, shape: [split.n, seqLen], data: BigInt64Array.from(split.tokens, BigInt) },
    targets: { dtype: 'F32' as const, shape: [split.n, seqLen], data: split.targets },
  };
}

await runStage('generate', async (ctx) => {
  const c = ctx.config.generate;
  const data = generateDataset({ seed: c.seed, nSamples: c.n_samples, seqLen: c.seq_len, trainFrac: c.train_frac });
  ctx.writeSafetensors('train.safetensors', asTensors(data.train, c.seq_len));
  ctx.writeSafetensors('test.safetensors', asTensors(data.test, c.seq_len));

  const all = [...data.train.tokens, ...data.test.tokens];
  const summary: DatasetSummary = {
    schema: 'llc-pipeline/dataset-summary',
    schema_version: 1,
    seed: c.seed,
    prng: 'pcg32 (XSH-RR, stream 54)',
    vocab: ALPHABET,
    seq_len: c.seq_len,
    n_train: data.train.n,
    n_test: data.test.n,
    mean_num_x: all.filter((t) => t === X_TOKEN).length / (data.train.n + data.test.n),
    first_sequences: Array.from({ length: Math.min(SHOWN, data.train.n) }, (_, i) => ({
      split: 'train' as const,
      letters: asLetters(data.train.tokens.subarray(i * c.seq_len, (i + 1) * c.seq_len)),
      targets: Array.from(data.train.targets.subarray(i * c.seq_len, (i + 1) * c.seq_len), (v) => Number(v.toFixed(6))),
    })),
  };
  ctx.writeJson('summary.json', summary);
  ctx.results.n_train = data.train.n;
  ctx.results.n_test = data.test.n;
  ctx.log(`${data.train.n} train + ${data.test.n} test sequences; first: ${summary.first_sequences[0]?.letters ?? ''}`);
});
