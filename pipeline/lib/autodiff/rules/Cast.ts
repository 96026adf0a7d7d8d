import type { GradRule } from '../rule.ts';

// Float-to-float casts pass the gradient, cast back to the input's type. (Casts to or
// from integers never carry one: the engine stops at non-float values.)
export const Cast: GradRule = {
  opTypes: ['Cast'],
  grad: (c) => {
    const to = c.e.dtype(c.input(0));
    return [to === c.e.dtype(c.output(0)) ? c.dy() : c.e.cast(c.dy(), to)];
  },
};
