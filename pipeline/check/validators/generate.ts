// generate: the two splits (tokens in the vocabulary, targets in [0, 1], sizes from the
// config) and summary.json.
import { GenerateConfig } from '../../../schemas/config.ts';
import { DatasetSummary } from '../../../schemas/dataset.ts';
import type { Manifest } from '../../../schemas/manifest.ts';
import { VOCAB_SIZE } from '../../../stages/generate/dataset.ts';
import type { CheckContext } from '../context.ts';
import { expectTensor, firstNonFinite, position } from '../tensors.ts';
import { manifestSection } from './section.ts';

function checkSplit(c: CheckContext, file: string, n: number | undefined, seqLen: number | undefined): void {
  const tensors = c.tensors(file);
  if (!tensors) return;
  const tokens = expectTensor(c, file, tensors, 'tokens', 'I64', [n, seqLen]);
  const targets = expectTensor(c, file, tensors, 'targets', 'F32', [n, seqLen]);
  if (tokens) {
    const i = (tokens.data as BigInt64Array).findIndex((t) => t < 0n || t >= BigInt(VOCAB_SIZE));
    if (i >= 0) c.fail(file, `tokens${position(tokens.shape, i)} = ${tokens.data[i]} is outside the vocabulary 0..${VOCAB_SIZE - 1}`);
  }
  if (targets) {
    const bad = firstNonFinite(targets.data);
    const i = bad >= 0 ? bad : (targets.data as Float32Array).findIndex((v) => v < 0 || v > 1);
    if (i >= 0) c.fail(file, `targets${position(targets.shape, i)} = ${targets.data[i]} is not a fraction in [0, 1]`);
  }
}

export function checkGenerate(c: CheckContext, m: Manifest): void {
  const cfg = manifestSection(c, 'generate', m, 'generate', GenerateConfig);
  const nTrain = cfg ? Math.floor(cfg.train_frac * cfg.n_samples) : undefined;
  const nTest = cfg && nTrain !== undefined ? cfg.n_samples - nTrain : undefined;
  checkSplit(c, 'generate/train.safetensors', nTrain, cfg?.seq_len);
  checkSplit(c, 'generate/test.safetensors', nTest, cfg?.seq_len);
  const summary = c.json('generate/summary.json', DatasetSummary);
  if (summary && cfg && (summary.n_train !== nTrain || summary.n_test !== nTest || summary.seq_len !== cfg.seq_len)) {
    c.fail('generate/summary.json', `describes ${summary.n_train} + ${summary.n_test} sequences of ${summary.seq_len}; the config gives ${nTrain} + ${nTest} of ${cfg.seq_len}`);
  }
}
