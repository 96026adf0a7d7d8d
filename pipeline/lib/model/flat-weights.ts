// A model's weights as one flat float vector, the form the training and sampling graphs
// carry between steps (one Loop state instead of dozens): the vector is split in parameter
// order and each piece reshaped to its parameter's shape.
import { attr, type GraphBuilder } from '../onnx/builder.ts';
import { elementCount } from '../onnx/ir.ts';
import type { ParamSpec } from './config.ts';
import type { WeightSource } from './seed-model.ts';

export interface FlatLayout {
  /** Leading axes of the flat value before the parameter axis: [] for [P], [C] for [C,P]. */
  lead: number[];
  /** Whether each weight keeps the leading axes ([C, ...shape]) or drops them (shape). */
  keepLead: boolean;
}

/**
 * A WeightSource over the flat value `flat` ([...lead, P]) holding `params` in order. The
 * forward pass must ask for each parameter by its own name and shape; anything else is an
 * error that names it.
 */
export function flatWeights(g: GraphBuilder, params: readonly ParamSpec[], flat: string, layout: FlatLayout): WeightSource {
  const sizes = params.map((p) => elementCount(p.shape));
  const axis = layout.lead.length;
  const pieces = sizes.length > 1 ? g.node('Split', [flat, g.ints(sizes)], { axis: attr.int(axis) }, { outputs: sizes.length }) : [flat];
  const values = new Map(params.map((p, i) => [p.name, { shape: p.shape, value: g.op('Reshape', [pieces[i]!, g.ints(layout.keepLead ? [...layout.lead, ...p.shape] : p.shape)]) }]));
  return (name, shape) => {
    const v = values.get(name);
    if (v === undefined || v.shape.join() !== shape.join()) throw new Error(`flat weights: the forward pass asks for parameter "${name}" [${shape}], which is not among the flat parameters`);
    return v.value;
  };
}
