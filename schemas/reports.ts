import { z } from 'zod';

/**
 * Scheduled reports (the `reports` section of the config file).
 * PLACEHOLDER: kinds, schedules and recipients are being written (issue 9).
 */
export const ReportsConfig = z.object({}).passthrough();
export type ReportsConfig = z.infer<typeof ReportsConfig>;
