import type { OpUnit } from '../op.ts';
import { toTf } from '../convert.ts';

export const Constant: OpUnit = {
  opType: 'Constant',
  run: (ctx) => [toTf(ctx.attrTensor('value'), `Constant node "${ctx.node.name}"`)],
};
