// onnxruntime's profile of an SGLD session (`bench/sgld.ts --profile`), summed per op type:
// milliseconds per chain-step and kernel calls per step, the kernels inside the step Loop.
import { readFileSync } from 'node:fs';

interface Event {
  cat?: string;
  name: string;
  dur: number;
  args?: { op_name?: string };
}

export interface OpTime {
  op: string;
  msPerChainStep: number;
  callsPerStep: number;
}

/** The profile's kernels by op type (the Loop itself left out: its time is its body's), most
 * time first, for a session that ran `steps` steps of `chains` chains. */
export function opTimes(path: string, steps: number, chains: number): { ops: OpTime[]; loopMsPerChainStep: number } {
  const events = JSON.parse(readFileSync(path, 'utf8')) as Event[];
  const time = new Map<string, number>();
  const calls = new Map<string, number>();
  for (const e of events) {
    const op = e.args?.op_name;
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || !op) continue;
    time.set(op, (time.get(op) ?? 0) + e.dur);
    calls.set(op, (calls.get(op) ?? 0) + 1);
  }
  const perChainStep = (us: number) => us / 1000 / (steps * chains);
  const ops = [...time].filter(([op]) => op !== 'Loop').map(([op, us]) => ({ op, msPerChainStep: perChainStep(us), callsPerStep: calls.get(op)! / steps }));
  return { ops: ops.sort((a, b) => b.msPerChainStep - a.msPerChainStep), loopMsPerChainStep: perChainStep(time.get('Loop') ?? 0) };
}
