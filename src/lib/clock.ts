import { Temporal } from 'temporal-polyfill';

/**
 * The only source of "now" for domain code. Each request gets the clock of its organization: the system clock, or the
 * organization's frozen test clock.
 */
export interface Clock {
  now(): Temporal.Instant;
}

export const systemClock: Clock = { now: () => Temporal.Now.instant() };

export const frozenClock = (at: Temporal.Instant): Clock => ({ now: () => at });
