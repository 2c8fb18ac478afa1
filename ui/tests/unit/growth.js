// How an algorithm's time grows with its input, for the linear-time checks of the Markdown
// renderer and the code highlighter.

/** The least CPU time, in ms, of a few runs of `fn`. */
function fastest(fn, runs = 7) {
  // CPU time, not wall-clock time: another process taking the CPU (a build, other tests) does
  // not count, so the ratio below measures the work done.
  const cpu = () => {
    const used = process.cpuUsage();
    return (used.user + used.system) / 1000;
  };
  let best = Infinity;
  for (let i = 0; i < runs; i += 1) {
    const start = cpu();
    fn();
    best = Math.min(best, cpu() - start);
  }
  return best;
}

/**
 * How many times longer `fn` takes on `large` than on `small`: the lowest of a few measurements,
 * so that another process taking the CPU for a moment cannot make linear work look quadratic.
 */
export function growth(fn, small, large) {
  fn(small);
  fn(large);
  let best = Infinity;
  for (let attempt = 0; attempt < 5 && best >= 6; attempt += 1) {
    best = Math.min(best, fastest(() => fn(large)) / Math.max(fastest(() => fn(small)), 0.05));
  }
  return best;
}
