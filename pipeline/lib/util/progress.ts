// A progress bar on stderr: redrawn in place on a terminal, a line every 10% (or 30 s)
// otherwise, so CI logs stay readable. A stage also hands its progress to a sink (at most
// once a second), which `pipeline status` reads.

function duration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(0)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

type Sink = (done: number, total: number) => void;
let sink: Sink | undefined;
const SINK_EVERY_MS = 1000;

/** Hands every bar's progress to `fn` too (the stage runner writes it beside the run's lock). */
export function reportProgressTo(fn: Sink): void {
  sink = fn;
}

export class Progress {
  private readonly start = Date.now();
  private lastDraw = 0;
  private lastDecile = -1;
  private lastSink = 0;
  private readonly tty = Boolean(process.stderr.isTTY);

  constructor(private readonly label: string, private readonly total: number, private readonly stream: NodeJS.WriteStream = process.stderr) {}

  /** Reports `done` of `total` units; `info` is shown after the bar (e.g. loss values). */
  update(done: number, info = ''): void {
    const now = Date.now();
    const frac = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const decile = Math.floor(frac * 10);
    const finished = done >= this.total;
    if (sink && (finished || now - this.lastSink >= SINK_EVERY_MS)) {
      this.lastSink = now;
      sink(done, this.total);
    }
    if (this.tty) {
      if (!finished && now - this.lastDraw < 100) return;
    } else if (!finished && decile === this.lastDecile && now - this.lastDraw < 30_000) {
      return;
    }
    this.lastDraw = now;
    this.lastDecile = decile;
    const elapsed = (now - this.start) / 1000;
    const eta = done > 0 ? (elapsed / done) * (this.total - done) : NaN;
    const width = 24;
    const filled = Math.round(frac * width);
    const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
    const line = `${this.label} [${bar}] ${done}/${this.total} ${(frac * 100).toFixed(0)}%${info ? ` ${info}` : ''} ${finished ? `in ${duration(elapsed)}` : `ETA ${duration(eta)}`}`;
    if (this.tty) this.stream.write(`\r\x1b[2K${line}${finished ? '\n' : ''}`);
    else this.stream.write(`${line}\n`);
  }
}
