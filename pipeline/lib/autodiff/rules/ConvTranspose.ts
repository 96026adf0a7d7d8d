import { attr } from '../../onnx/builder.ts';
import { convTransposeAxis } from '../../onnx/conv-geometry.ts';
import { biasGrad, type ConvAxis, convSetup, padRuntime, staticPads, weightGrad } from '../conv.ts';
import type { GradRule } from '../rule.ts';

// y[b, j, p] = B[j] + Σ_i Σ_{q,t : q·s + t·d = p + begin} x[b, i, q] · W[i, j, t] per group:
// every input row spread over a window, the result cropped by begin/end (explicit pads,
// auto_pad or output_shape, as onnxruntime computes them: onnx/conv-geometry.ts; y is the
// big side) and zero rows appended (output_padding). dX = Conv(dY, W) with the same strides,
// dilations and group and the crops as pads: its windows land on x's rows exactly, rest
// being below the stride. Crops known only at runtime (an output_shape with symbolic input
// sizes) pad dY with a Pad op instead. dW: conv.ts's weightGrad of dY by x.
// dB = Σ dY over all axes but the channels.
export const ConvTranspose: GradRule = {
  opTypes: ['ConvTranspose'],
  grad: (c) => {
    const { e, node } = c;
    const [x, w, dy] = [c.input(0), c.input(1), c.dy()];
    const { a, z, sizes, kernels } = convSetup(e, node, x, w);
    const axes: ConvAxis[] = sizes.map((n, i) => {
      const { begin, end, rest } = convTransposeAxis(z, a, i, n, kernels[i]!);
      return { begin, end, rest, stride: a.strides[i]!, dilation: a.dilations[i]!, kernel: kernels[i]! };
    });
    const dx = (): string =>
      e.op('Conv', [padRuntime(e, dy, axes), w], {
        strides: attr.ints(a.strides),
        dilations: attr.ints(a.dilations),
        group: attr.int(a.group),
        pads: attr.ints(staticPads(axes)),
      });
    return [
      c.needs(0) ? dx() : undefined,
      c.needs(1) ? weightGrad(e, z, dy, c.output(0), x, axes, a.group) : undefined,
      c.needs(2) ? biasGrad(e, dy, sizes.length) : undefined,
    ];
  },
};
