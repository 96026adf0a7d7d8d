// The onnxruntime training engine: the train step graph (step-graph.ts) runs up to
// `stepsPerRun` steps per session.run with weights, Adam moments and step count fed back
// between runs; the eval graph (eval-graph.ts) measures whole splits. Minibatches are those
// of the tfjs engine (batches.ts); dropout masks come from dropout-masks.ts.
import type * as ort from 'onnxruntime-node';
import type { SplitTensors } from '../../schemas/dataset.ts';
import { parameterCount, seedParameters, type ParamSpec } from '../../pipeline/lib/model/config.ts';
import { DataType, elementCount, type TensorValue } from '../../pipeline/lib/onnx/ir.ts';
import { createSession, runSession, type Device } from '../../pipeline/lib/onnx/ort.ts';
import { batchIndices } from './batches.ts';
import { maskOffsets, type DropoutPlan } from './dropout-masks.ts';
import type { AdamSnapshot, Evaluation, TrainEngine, TrainSetup } from './engine.ts';
import { EVAL_IO, buildEvalGraph } from './eval-graph.ts';
import { TRAIN_IO, buildTrainStepGraph } from './step-graph.ts';

export interface OrtEngineOptions {
  device: Device;
  threads: number;
  /** Most steps per session.run (the Loop's trip count). */
  stepsPerRun: number;
}

const float = (data: Float32Array): TensorValue => ({ dataType: DataType.FLOAT, dims: [data.length], data });

function splitTensors(split: SplitTensors): { tokens: TensorValue; targets: TensorValue } {
  const dims = [split.n, split.seqLen];
  return { tokens: { dataType: DataType.INT64, dims, data: split.tokens }, targets: { dataType: DataType.FLOAT, dims, data: split.targets } };
}

export class OrtEngine implements TrainEngine {
  readonly label: string;
  private params: Float32Array;
  private m: Float32Array;
  private v: Float32Array;
  private t: number;

  private constructor(
    private readonly setup: TrainSetup,
    private readonly options: OrtEngineOptions,
    private readonly stepSession: ort.InferenceSession,
    private readonly evalSession: ort.InferenceSession,
    private readonly dropout: DropoutPlan | undefined,
    private readonly paramSpecs: ParamSpec[],
  ) {
    this.label = `onnxruntime-${options.device}`;
    const flat = (values: Record<string, Float32Array>, what: string) => {
      const out = new Float32Array(parameterCount(paramSpecs));
      let at = 0;
      for (const p of paramSpecs) {
        const data = values[p.name];
        if (!data || data.length !== elementCount(p.shape)) throw new Error(`trainer: ${what} for parameter "${p.name}" is missing or has the wrong size`);
        out.set(data, at);
        at += data.length;
      }
      return out;
    };
    const { state } = setup;
    this.params = flat(state.weights, 'no initial value');
    this.m = state.adam ? flat(state.adam.m, 'the Adam m moment') : new Float32Array(this.params.length);
    this.v = state.adam ? flat(state.adam.v, 'the Adam v moment') : new Float32Array(this.params.length);
    this.t = state.adam?.step ?? 0;
  }

  static async open(setup: TrainSetup, options: OrtEngineOptions): Promise<OrtEngine> {
    if (setup.batchSize > setup.train.n) throw new Error(`train.batch_size = ${setup.batchSize} exceeds the ${setup.train.n} training samples`);
    const { model, dropout } = buildTrainStepGraph(setup.cfg, setup.adam, setup.batchSize, setup.seed);
    const session = { device: options.device, threads: options.threads };
    const stepSession = await createSession(model, session);
    const evalSession = await createSession(buildEvalGraph(setup.cfg), session).catch(async (e) => {
      await stepSession.release();
      throw e;
    });
    return new OrtEngine(setup, options, stepSession, evalSession, dropout, seedParameters(setup.cfg));
  }

  get step(): number {
    return this.t;
  }

  async train(count: number): Promise<Float32Array> {
    const losses = new Float32Array(count);
    for (let done = 0; done < count; ) {
      const K = Math.min(this.options.stepsPerRun, count - done);
      const out = await runSession(this.stepSession, this.feeds(K));
      this.params = out[TRAIN_IO.paramsOut]!.data as Float32Array;
      this.m = out[TRAIN_IO.mOut]!.data as Float32Array;
      this.v = out[TRAIN_IO.vOut]!.data as Float32Array;
      this.t = Number((out[TRAIN_IO.stepOut]!.data as BigInt64Array)[0]);
      losses.set(out[TRAIN_IO.loss]!.data as Float32Array, done);
      done += K;
    }
    return losses;
  }

  /** The feeds of the next K steps: state, minibatch rows and mask offsets. */
  private feeds(K: number): Record<string, TensorValue> {
    const { seed, batchSize, train } = this.setup;
    const indices = new BigInt64Array(K * batchSize);
    for (let k = 0; k < K; k++) batchIndices(seed, this.t + 1 + k, train.n, batchSize).forEach((row, i) => (indices[k * batchSize + i] = BigInt(row)));
    const { tokens, targets } = splitTensors(train);
    const feeds: Record<string, TensorValue> = {
      [TRAIN_IO.params]: float(this.params),
      [TRAIN_IO.m]: float(this.m),
      [TRAIN_IO.v]: float(this.v),
      [TRAIN_IO.step]: { dataType: DataType.INT64, dims: [], data: BigInt64Array.of(BigInt(this.t)) },
      [TRAIN_IO.batchIndices]: { dataType: DataType.INT64, dims: [K, batchSize], data: indices },
      [TRAIN_IO.x]: tokens,
      [TRAIN_IO.y]: targets,
    };
    if (this.dropout) {
      feeds[TRAIN_IO.maskOffsets] = { dataType: DataType.INT64, dims: [K, this.dropout.sizes.length], data: maskOffsets(seed, this.t + 1, K, this.dropout) };
    }
    return feeds;
  }

  async evaluate(split: 'train' | 'test'): Promise<Evaluation> {
    const { tokens, targets } = splitTensors(this.setup[split]);
    const out = await runSession(this.evalSession, { [EVAL_IO.params]: float(this.params), [EVAL_IO.tokens]: tokens, [EVAL_IO.targets]: targets });
    return { mse: (out[EVAL_IO.mse]!.data as Float32Array)[0]!, mae: (out[EVAL_IO.mae]!.data as Float32Array)[0]! };
  }

  weights(): Record<string, Float32Array> {
    return this.unflatten(this.params);
  }

  optimizerState(): AdamSnapshot {
    return { step: this.t, m: this.unflatten(this.m), v: this.unflatten(this.v) };
  }

  private unflatten(flat: Float32Array): Record<string, Float32Array> {
    const out: Record<string, Float32Array> = {};
    let at = 0;
    for (const p of this.paramSpecs) {
      const n = elementCount(p.shape);
      out[p.name] = flat.slice(at, at + n);
      at += n;
    }
    return out;
  }

  async dispose(): Promise<void> {
    await this.stepSession.release();
    await this.evalSession.release();
  }
}
