import { z } from 'zod';

const name = z.string().min(1).max(128);
const text = z.string().max(16_384);
const reportedError = z
  .object({ code: name, message: text, details: z.array(text).max(200) })
  .nullable();
const event = z.object({
  at: z.string().max(64),
  step: name,
  role: name.nullable(),
  message: text,
  data: z.record(z.string(), z.unknown()).nullable(),
});
const roleStatus = z.object({
  service: name,
  role: name,
  version: z.string().max(256).nullable(),
  sequence: z.number().int().nullable(),
  state: name,
  health: name,
  since: z.string().max(64).nullable(),
  container: z.string().max(256).nullable(),
  canaryPercent: z.number().int().min(1).max(99).optional(),
});
const release = { service: name, sequence: z.number().int().positive() };

/** An agent's report (shared/api/controller-api.ts AgentReport), with size limits. */
export const agentReportSchema = z.object({
  status: z.object({
    services: z.array(roleStatus).max(1000),
    sequences: z.record(
      name,
      z.object({ live: z.number().int().nullable(), highest: z.number().int() }),
    ),
  }),
  progress: z
    .array(
      z.object({ ...release, state: name, error: reportedError, events: z.array(event).max(1000) }),
    )
    .max(200),
  refusals: z.array(z.object({ ...release, code: name, message: text })).max(200),
  controls: z
    .array(
      z.object({
        ...release,
        outcome: z.enum(['applied', 'refused']),
        error: z.object({ code: name, message: text }).nullable(),
        routes: z
          .array(
            z.object({
              route: name,
              maintenance: z.object({ message: text }).nullable(),
              pause: z.object({ maxPauseMs: z.number().int() }).nullable(),
            }),
          )
          .max(100),
      }),
    )
    .max(200)
    .default([]),
});

export type CheckedAgentReport = z.output<typeof agentReportSchema>;
