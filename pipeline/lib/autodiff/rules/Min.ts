import type { GradRule } from '../rule.ts';
import { selectedOperandGrads } from './Max.ts';

// Variadic Min under broadcasting: as Max (see Max.ts), the operands equal to the output
// share its gradient evenly.
export const Min: GradRule = {
  opTypes: ['Min'],
  grad: selectedOperandGrads,
};
