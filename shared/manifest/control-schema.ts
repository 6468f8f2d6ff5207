import { z } from 'zod';
import { hostNamePattern, serviceNamePattern } from './schema.ts';

/** Bumped when a field changes meaning; agents refuse schemas they do not know. */
export const CONTROL_SCHEMA_VERSION = 1;
/** How long a signed control may wait to be applied: a stale one must not apply late. */
export const DEFAULT_CONTROL_LIFETIME_MS = 10 * 60_000;
/** The longest a pause may hold a request (the agent API's limit too). */
export const MAX_PAUSE_LIMIT_MS = 10 * 60_000;
export const MAX_MAINTENANCE_MESSAGE_CHARS = 2000;

export const controlActions = ['maintenance-on', 'maintenance-off', 'pause', 'resume'] as const;
export type ControlActionName = (typeof controlActions)[number];

export const serviceControlSchema = z
  .object({
    schema: z.literal(CONTROL_SCHEMA_VERSION).describe('Service control schema version.'),
    fleet: z
      .string()
      .min(1)
      .describe('Fleet the control is for; agents of other fleets refuse it.'),
    service: z
      .string()
      .regex(serviceNamePattern)
      .describe('Service whose proxied roles it acts on.'),
    hosts: z
      .array(z.string().regex(hostNamePattern))
      .min(1)
      .max(1000)
      .describe('Target hosts; every other agent refuses it.'),
    sequence: z
      .number()
      .int()
      .positive()
      .describe(
        'Monotonic per service, separate from release sequences; agents refuse anything not above the last control they applied.',
      ),
    issuedAt: z.iso.datetime().describe('When the control was signed.'),
    expiresAt: z.iso
      .datetime()
      .describe('Agents refuse the control after this instant (berth signs it for 10 minutes).'),
    issuedBy: z.string().min(1).max(256).default('unknown').describe('Who issued it (audit).'),
    action: z
      .enum(controlActions)
      .describe(
        'maintenance-on: 503 page instead of the app; maintenance-off; pause: hold new requests; resume.',
      ),
    message: z
      .string()
      .max(MAX_MAINTENANCE_MESSAGE_CHARS)
      .optional()
      .describe('maintenance-on only: the text the maintenance page shows (HTML-escaped).'),
    maxPauseMs: z
      .number()
      .int()
      .positive()
      .max(MAX_PAUSE_LIMIT_MS)
      .optional()
      .describe('pause only (required there): a request held longer gets 504.'),
  })
  .strict()
  .superRefine((control, ctx) => {
    if (control.message !== undefined && control.action !== 'maintenance-on') {
      ctx.addIssue({
        code: 'custom',
        path: ['message'],
        message: 'only maintenance-on has a message',
      });
    }
    if ((control.maxPauseMs !== undefined) !== (control.action === 'pause')) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxPauseMs'],
        message: 'pause needs maxPauseMs, and only pause has it',
      });
    }
  });

export type ServiceControl = z.output<typeof serviceControlSchema>;
export type ServiceControlInput = z.input<typeof serviceControlSchema>;

/** What to do to a service's proxied roles: the action and its one parameter. */
export type ControlAction =
  | { action: 'maintenance-on'; message?: string }
  | { action: 'maintenance-off' }
  | { action: 'pause'; maxPauseMs: number }
  | { action: 'resume' };

/** The action part of a (verified) control. */
export function actionOf(control: ServiceControl): ControlAction {
  switch (control.action) {
    case 'maintenance-on':
      return control.message === undefined
        ? { action: 'maintenance-on' }
        : { action: 'maintenance-on', message: control.message };
    case 'pause':
      return { action: 'pause', maxPauseMs: control.maxPauseMs ?? MAX_PAUSE_LIMIT_MS };
    case 'maintenance-off':
      return { action: 'maintenance-off' };
    case 'resume':
      return { action: 'resume' };
  }
}

/** A short human label: `maintenance on ("Back at 5")`, `pause (max 30 s)`. */
export function describeAction(action: ControlAction): string {
  switch (action.action) {
    case 'maintenance-on':
      return action.message
        ? `maintenance on (${JSON.stringify(action.message)})`
        : 'maintenance on';
    case 'maintenance-off':
      return 'maintenance off';
    case 'pause':
      return `pause (max ${action.maxPauseMs / 1000} s)`;
    case 'resume':
      return 'resume';
  }
}
