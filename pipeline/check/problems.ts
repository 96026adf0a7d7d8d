// What `pipeline check` found (its problems): failures (the run cannot be trusted as it is) and warnings
// (worth knowing, e.g. a stage not run yet). Each names a file relative to the run folder.

export type Level = 'failure' | 'warning';

export interface Problem {
  level: Level;
  /** Path relative to the run folder (e.g. train/checkpoints/step-000500.safetensors). */
  file: string;
  message: string;
}

export class Problems {
  readonly list: Problem[] = [];

  fail(file: string, message: string): void {
    this.list.push({ level: 'failure', file, message });
  }

  warn(file: string, message: string): void {
    this.list.push({ level: 'warning', file, message });
  }

  get failures(): Problem[] {
    return this.list.filter((f) => f.level === 'failure');
  }

  get warnings(): Problem[] {
    return this.list.filter((f) => f.level === 'warning');
  }
}
