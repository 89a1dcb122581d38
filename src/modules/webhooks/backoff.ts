/**
 * How long the n-th retry of a webhook waits after the failure before it (n from 1): n⁴ + 2 seconds, the n⁴ part
 * stretched by up to 15% of jitter (`random` in [0, 1)), as Lago's jobs wait. With 8 attempts (7 retries) a webhook is
 * tried for about 78 minutes: 3 s, 18 s, 83 s, 258 s, 627 s, 1298 s, 2403 s, before jitter. `unitMs` is a second,
 * except in tests.
 */
export const retryDelayMs = (retry: number, random: number, unitMs = 1000): number => (retry ** 4 * (1 + 0.15 * random) + 2) * unitMs;
