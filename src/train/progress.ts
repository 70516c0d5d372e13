/**
 * Training output: on a TTY, a progress bar per epoch redrawn in place (at
 * most every 100 ms) with loss, metrics, throughput and ETA; otherwise (CI,
 * logs, pipes) one plain line per epoch.
 */
import { Callback, type Logs } from './callbacks';

const fmtNum = (v: number): string => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toFixed(4));
const fmtTime = (s: number): string => (s < 60 ? `${s.toFixed(s < 10 ? 1 : 0)}s` : `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`);
const fmtLogs = (logs: Logs): string =>
  Object.entries(logs)
    .map(([k, v]) => `${k}: ${fmtNum(v)}`)
    .join(' - ');

/** @internal Prints fit's progress; `write` defaults to stdout. */
export class ProgressLogger extends Callback {
  private start = 0;
  private lastDraw = 0;
  private samples = 0;
  private epoch = 0;

  constructor(
    private readonly tty: boolean,
    private readonly write: (s: string) => void = (s) => process.stdout.write(s),
  ) {
    super();
  }

  override onEpochBegin(epoch: number): void {
    this.epoch = epoch;
    this.start = performance.now();
    this.lastDraw = 0;
    this.samples = 0;
  }

  /** Called by fit after each batch with the running means and the batch size. */
  batch(step: number, size: number, running: Logs): void {
    this.samples += size;
    if (!this.tty) return;
    const now = performance.now();
    const steps = this.params.steps;
    if (now - this.lastDraw < 100 && step + 1 < steps) return;
    this.lastDraw = now;
    const elapsed = (now - this.start) / 1000;
    const width = 24;
    const done = steps > 0 ? Math.min(width, Math.floor(((step + 1) / steps) * width)) : 0;
    const bar = '='.repeat(Math.max(0, done - 1)) + (done > 0 ? (done === width ? '=' : '>') : '') + '.'.repeat(width - done);
    const eta = steps > step + 1 ? (elapsed / (step + 1)) * (steps - step - 1) : 0;
    const rate = Math.round(this.samples / Math.max(elapsed, 1e-9));
    const line = `Epoch ${this.epoch + 1}/${this.params.epochs} [${bar}] ${step + 1}/${steps} - ${fmtLogs(running)} - ${rate} samples/s - ETA ${fmtTime(eta)}`;
    this.write(`\r${line}\x1b[K`);
  }

  override onEpochEnd(epoch: number, logs: Logs): void {
    const elapsed = (performance.now() - this.start) / 1000;
    const rate = Math.round(this.samples / Math.max(elapsed, 1e-9));
    const line = `Epoch ${epoch + 1}/${this.params.epochs} - ${this.params.steps} steps - ${fmtTime(elapsed)} - ${rate} samples/s - ${fmtLogs(logs)}`;
    this.write(this.tty ? `\r${line}\x1b[K\n` : `${line}\n`);
  }
}
