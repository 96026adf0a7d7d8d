// The frame of our step graphs (training and SGLD): a Loop that runs one step per row of a
// schedule input — its first dimension is the trip count — carrying state from step to
// step inside the runtime and collecting one value per step.
import { GraphBuilder, attr, tensor } from './builder.ts';
import { DataType, type Dim, type Graph } from './ir.ts';

export interface LoopState {
  /** The outer value the first step starts from. */
  initial: string;
  /** The body value the next step starts from. */
  next: string;
  /** The outer value that holds the state after the last step. */
  final: string;
  elemType: DataType;
  shape: Dim[];
}

export interface LoopScan {
  /** The body value of one step, and the outer value [steps, ...shape] that stacks them. */
  value: string;
  stacked: string;
  elemType: DataType;
  shape: Dim[];
}

/**
 * Adds to `g` a Loop over the rows of `schedule` whose body is `step` — a graph whose inputs
 * are the iteration number, the condition `cond` and the states' current values, in that
 * order — and declares the final states and stacked scans as outputs of `g`.
 */
export function stepLoop(g: GraphBuilder, schedule: string, step: Graph, cond: string, states: LoopState[], scans: LoopScan[]): void {
  const b = new GraphBuilder(step.name, 'loop/');
  const condOut = b.op('Identity', [cond]);
  const scanOuts = scans.map((s) => b.op('Identity', [s.value]));
  const body: Graph = {
    ...step,
    nodes: [...step.nodes, ...b.nodes],
    outputs: [
      { name: condOut, elemType: DataType.BOOL, shape: [] },
      ...states.map((s) => ({ name: s.next, elemType: s.elemType, shape: s.shape })),
      ...scans.map((s, i) => ({ name: scanOuts[i]!, elemType: s.elemType, shape: s.shape })),
    ],
  };
  const trips = g.op('Gather', [g.op('Shape', [schedule]), g.constant(tensor.int64([], [0]))]);
  g.node('Loop', [trips, '', ...states.map((s) => s.initial)], { body: attr.graph(body) }, { outputs: [...states.map((s) => s.final), ...scans.map((s) => s.stacked)] });
  for (const s of states) g.output(s.final, s.elemType, s.shape);
  for (const s of scans) g.output(s.stacked, s.elemType, ['steps', ...s.shape]);
}
