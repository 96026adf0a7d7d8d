// The names the sampling stages give their estimates in warnings and health.json, in one
// place: the report finds each estimate's standard error by them.

/** An estimate-stage estimate: its training seed and checkpoint step, and its restricted group. */
export const checkpointLabel = (seed: number, step: number, group?: string): string => `seed ${seed}, checkpoint step ${step}${group ? `, group ${group}` : ''}`;

/** The calibration stage's one estimate. */
export const calibrationLabel = (seed: number, step: number): string => `calibration, seed ${seed}, checkpoint step ${step}`;
