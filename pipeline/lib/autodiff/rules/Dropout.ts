import { optionalInput } from '../../onnx/attrs.ts';
import type { GradRule } from '../rule.ts';

// Without a training_mode input Dropout is the identity. With one, y = x·mask/(1 - ratio)
// when it is true, and y = x (mask all true) when false: dx = dy·mask·scale with
// scale = training_mode ? 1/(1 - ratio) : 1. This needs the mask output, added if omitted.
export const Dropout: GradRule = {
  opTypes: ['Dropout'],
  grad: (c) => {
    const { e, node } = c;
    const training = optionalInput(node, 2);
    if (training === undefined) return [c.dy()];
    const x = c.input(0);
    const type = e.dtype(x);
    const given = optionalInput(node, 1);
    const ratio = given === undefined ? e.scalar(0.5, x) : e.dtype(given) === type ? given : e.cast(given, type);
    const one = e.scalar(1, x);
    const scale = e.op('Where', [training, e.op('Div', [one, e.op('Sub', [one, ratio])]), one]);
    const mask = e.cast(c.output(1), type);
    return [e.op('Mul', [e.op('Mul', [c.dy(), mask]), scale])];
  },
};
