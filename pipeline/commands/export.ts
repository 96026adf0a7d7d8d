// `pipeline export --from-state-dict`: a PyTorch state_dict (safetensors) → our eval-mode
// ONNX model, so models trained in the notebook can enter the pipeline.
import { readFileSync } from 'node:fs';
import { configFromStateDict } from '../../stages/export/infer-config.ts';
import { PARITY_FACTOR, PARITY_FLOOR, exportModel, parity, parityBreach } from '../../stages/export/onnx-model.ts';
import { Pcg32 } from '../lib/util/prng.ts';
import { decodeSafetensors } from '../lib/util/safetensors.ts';
import { seedParameters } from '../lib/model/config.ts';
import { weightsFromTensors } from '../lib/model/state-dict.ts';
import { encodeModel } from '../lib/onnx/io.ts';
import { writeFileAtomic } from '../lib/util/atomic.ts';
import { initBackend } from '../lib/tfjs/backend.ts';
import { UsageError, parse, type Command } from '../command.ts';

const CHECK_ROWS = 64;

export const exportCommand: Command = {
  usage: `pipeline export --from-state-dict <weights.safetensors> --out <model.onnx> [--heads 4]

Builds the eval-mode seed model (README: The model) with the given weights (PyTorch state_dict
names, e.g. from safetensors.torch.save_file(model.state_dict(), path)). Sizes are read
off the tensors' shapes; the number of attention heads is not visible there (--heads,
default 4). The written model is run in onnxruntime and in the tfjs interpreter on ${CHECK_ROWS}
random sequences; they must agree within ${PARITY_FACTOR}× the model's float32 sensitivity
(how far its predictions move when every weight moves by one ulp), at least ${PARITY_FLOOR}.
(The pipeline's own export stage runs as \`pipeline run export\`.)

Options:
  --from-state-dict <file>  the weights (safetensors)
  --out <file>              the ONNX model to write
  --heads <n>               attention heads (default 4)
  -h, --help                this text`,

  async main(argv) {
    const { values } = parse(argv, { 'from-state-dict': { type: 'string' }, out: { type: 'string' }, heads: { type: 'string' } });
    const source = values['from-state-dict'];
    const out = values.out;
    if (!source || !out) throw new UsageError('--from-state-dict and --out are both required');
    const heads = values.heads === undefined ? undefined : Number(values.heads);
    if (heads !== undefined && !(Number.isInteger(heads) && heads > 0)) throw new UsageError(`--heads ${values.heads}: expected a positive integer`);

    const { tensors } = decodeSafetensors(readFileSync(source), source);
    const cfg = configFromStateDict(tensors, source, heads);
    const weights = weightsFromTensors(tensors, seedParameters(cfg), source);
    const model = exportModel(cfg, weights);
    const bytes = encodeModel(model);

    const rng = new Pcg32(0);
    const tokens = BigInt64Array.from({ length: CHECK_ROWS * cfg.seqLen }, () => BigInt(rng.below(cfg.vocab)));
    const backend = await initBackend('auto');
    const { diff, bound } = await parity(cfg, weights, bytes, tokens, CHECK_ROWS, cfg.seqLen);
    if (!(diff <= bound)) throw new Error(`the exported model and the tfjs interpretation ${parityBreach(diff, bound)}; nothing written`);
    writeFileAtomic(out, bytes);
    process.stdout.write(
      `wrote ${out}: d_model ${cfg.dModel}, ${cfg.heads} heads, ${cfg.layers} layers, d_ff ${cfg.dFF}, vocab ${cfg.vocab}, seq_len ${cfg.seqLen}; ` +
        `onnxruntime vs tfjs (${backend.name}) on ${CHECK_ROWS} random sequences: max |Δ| ${diff.toExponential(2)}\n`,
    );
    return 0;
  },
};
