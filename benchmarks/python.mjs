// python3 for the benchmark sections that compare with numpy (OpenBLAS) or
// PyTorch. Neither is a dependency: a section without them says so and skips.
import { spawn, spawnSync } from 'node:child_process';
import readline from 'node:readline';

/**
 * The first python3 that imports `module` ($TENSORFORGE_BENCH_PYTHON, python3,
 * /usr/bin/python3), or undefined.
 */
export function findPython(module) {
  const candidates = [process.env.TENSORFORGE_BENCH_PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean);
  return candidates.find((p) => spawnSync(p, ['-c', `import ${module}`], { encoding: 'utf8' }).status === 0);
}

/**
 * Starts `python -c script` as a child that stays up and answers requests a
 * line at a time, so each side of an alternating comparison runs seconds, not
 * a process start, after the other. `next()` resolves to the child's next
 * stdout line, `ask(line)` writes a line to its stdin and resolves to the
 * answer, `close()` ends its stdin (the script's loop, and so the child).
 * Both reject, naming `what`, if the child exits first.
 */
export function pythonChild(python, script, what, env = process.env) {
  const child = spawn(python, ['-c', script], { stdio: ['pipe', 'pipe', 'inherit'], env });
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const r = await lines.next();
    if (r.done) throw new Error(`${what}: the python3 child exited`);
    return r.value;
  };
  return {
    next,
    ask: (line) => {
      child.stdin.write(`${line}\n`);
      return next();
    },
    close: () => child.stdin.end(),
  };
}
