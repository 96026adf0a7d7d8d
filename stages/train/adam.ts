// torch.optim.Adam, written out (tfjs' Adam has no weight decay): coupled L2 first, then
//   m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²
//   w ← w − (lr / (1−β1^t)) · m / (√v / √(1−β2^t) + eps)
// exactly in PyTorch's order of operations. With decoupled weight decay (torch.optim.AdamW)
// g is the bare gradient and the weights shrink first: w ← w·(1 − lr·λ), then the update.
import * as tf from '@tensorflow/tfjs-core';

export interface AdamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Weight decay as AdamW's decoupled shrink instead of Adam's coupled L2 (default false). */
  decoupled?: boolean;
}

export interface AdamState {
  step: number;
  m: Record<string, tf.Variable>;
  v: Record<string, tf.Variable>;
}

export class Adam {
  readonly state: AdamState;

  constructor(private readonly opts: AdamOptions, params: Record<string, tf.Variable>, restored?: { step: number; m: Record<string, Float32Array>; v: Record<string, Float32Array> }) {
    const moments = (kind: 'm' | 'v') =>
      Object.fromEntries(
        Object.entries(params).map(([name, w]) => {
          const saved = restored?.[kind][name];
          if (restored && !saved) throw new Error(`Adam state has no ${kind} moment for parameter "${name}"`);
          return [name, tf.variable(saved ? tf.tensor(saved, w.shape, 'float32') : tf.zerosLike(w), false)];
        }),
      );
    this.state = { step: restored?.step ?? 0, m: moments('m'), v: moments('v') };
  }

  /** One update of every parameter that has a gradient. */
  apply(params: Record<string, tf.Variable>, grads: Record<string, tf.Tensor>): void {
    const { lr, beta1, beta2, eps, weightDecay, decoupled } = this.opts;
    const coupled = decoupled ? 0 : weightDecay;
    const shrink = decoupled ? 1 - lr * weightDecay : 1;
    const t = ++this.state.step;
    const stepSize = lr / (1 - beta1 ** t);
    const sqrtBc2 = Math.sqrt(1 - beta2 ** t);
    tf.tidy(() => {
      for (const [name, w] of Object.entries(params)) {
        const grad = grads[name];
        if (!grad) continue;
        const g = coupled === 0 ? grad : tf.add(grad, tf.mul(w, coupled));
        const m = this.state.m[name]!;
        const v = this.state.v[name]!;
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        const denom = tf.add(tf.div(tf.sqrt(v), sqrtBc2), eps);
        const shrunk = shrink === 1 ? w : tf.mul(w, shrink);
        w.assign(tf.sub(shrunk, tf.mul(tf.div(m, denom), stepSize)));
      }
    });
  }

  /** Moments as plain arrays, for checkpoints. */
  snapshot(): { step: number; m: Record<string, Float32Array>; v: Record<string, Float32Array> } {
    const read = (vars: Record<string, tf.Variable>) => Object.fromEntries(Object.entries(vars).map(([n, x]) => [n, x.dataSync() as Float32Array]));
    return { step: this.state.step, m: read(this.state.m), v: read(this.state.v) };
  }

  dispose(): void {
    for (const x of [...Object.values(this.state.m), ...Object.values(this.state.v)]) x.dispose();
  }
}
