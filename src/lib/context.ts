import type { Clock } from './clock.ts';

/** Who is asking and what time it is for them: every use case runs inside one organization, on its clock. */
export interface Ctx {
  organizationId: string;
  clock: Clock;
}
