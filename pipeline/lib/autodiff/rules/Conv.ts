import { attr } from '../../onnx/builder.ts';
import { convPads, convRest } from '../../onnx/conv-geometry.ts';
import { biasGrad, type ConvAxis, convSetup, runtimePart, sliceAxes, staticPads, weightGrad } from '../conv.ts';
import type { GradRule } from '../rule.ts';

// y[b, m, o] = Σ_c Σ_t x_padded[b, c, o·s + t·d] · W[m, c, t] + B[m], per group, with the
// pads explicit or from auto_pad (geometry in onnx/conv-geometry.ts; x is the big side).
// dX = ConvTranspose(dY, W) with the same strides, dilations and group, the pads as crops and
// the rows a strided window never reads (rest) as output_padding, which gives exactly x's
// rows. Where a pad or rest is known only at runtime (symbolic sizes at stride > 1, SAME_*
// with a symbolic kernel), the static crops go in the attributes, output_padding s − 1
// (rest's bound) makes enough rows and a Slice from the runtime begin takes x's. dW: conv.ts's weightGrad of x by dY.
// dB = Σ dY over all axes but the channels.
export const Conv: GradRule = {
  opTypes: ['Conv'],
  grad: (c) => {
    const { e, node } = c;
    const [x, w, dy] = [c.input(0), c.input(1), c.dy()];
    const { a, z, sizes, kernels } = convSetup(e, node, x, w);
    const axes: ConvAxis[] = sizes.map((n, i) => {
      const pads = convPads(z, a, i, n, kernels[i]!);
      return { ...pads, rest: convRest(z, a, i, n, kernels[i]!, pads), stride: a.strides[i]!, dilation: a.dilations[i]!, kernel: kernels[i]! };
    });
    let dx: string | undefined;
    if (c.needs(0)) {
      const exact = axes.map((ax) => [ax.begin, ax.end, ax.rest].every((v) => typeof v === 'number'));
      const full = e.op('ConvTranspose', [dy, w], {
        strides: attr.ints(a.strides),
        dilations: attr.ints(a.dilations),
        group: attr.int(a.group),
        pads: attr.ints(staticPads(axes)),
        output_padding: attr.ints(axes.map((ax, i) => (exact[i] ? (ax.rest as number) : ax.stride - 1))),
      });
      const loose = axes.flatMap((_, i) => (exact[i] ? [] : [i]));
      const starts = loose.map((i) => runtimePart(axes[i]!.begin));
      dx = sliceAxes(e, z, full, loose, starts, loose.map((i) => sizes[i]!));
    }
    return [
      dx,
      c.needs(1) ? weightGrad(e, z, x, x, dy, axes, a.group) : undefined,
      c.needs(2) ? biasGrad(e, dy, sizes.length) : undefined,
    ];
  },
};
