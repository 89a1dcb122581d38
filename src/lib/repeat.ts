/**
 * Runs `work` in the background: at once (or one interval after start with `delayFirst`), then `intervalMs` after each
 * run ends, so runs never overlap. A failed run is reported to `onError` and the next one comes as usual. Returns a
 * stop function that waits for the run in progress.
 */
export const repeatEvery = (
  intervalMs: number,
  work: (stopped: () => boolean) => Promise<unknown>,
  onError: (error: unknown) => void,
  options: { delayFirst?: boolean } = {},
): (() => Promise<void>) => {
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | null = null;
  const tick = () => {
    running = work(() => stopped)
      .then(
        () => {},
        (error) => onError(error),
      )
      .then(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  if (options.delayFirst) timer = setTimeout(tick, intervalMs);
  else tick();
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    await running;
  };
};
