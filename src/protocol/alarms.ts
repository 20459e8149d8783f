/**
 * What the host's alarm judge (src/analysis/alarms.ts) says about a run, as it crosses to the
 * dashboard and the status bar: the kinds, and one alarm's shape.
 */
import * as v from 'valibot';
import { count, text } from './fields';

export const ALARM_KINDS = ['mode-collapse', 'discriminator-wins', 'divergence', 'equilibrium'] as const;
export type AlarmKind = (typeof ALARM_KINDS)[number];

export const alarm = v.object({
  kind: v.picklist(ALARM_KINDS),
  severity: v.picklist(['warning', 'info']),
  /** Logged steps where the condition held, as [first, last] ranges. */
  ranges: v.array(v.tuple([count, count])),
  title: text,
  message: text,
});
export interface Alarm extends v.InferOutput<typeof alarm> {}
