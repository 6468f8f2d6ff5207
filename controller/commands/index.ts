import type { BerthCommand } from '../cli-context.ts';
import { initCommand } from './init.ts';
import { keysGenerateCommand } from './keys-generate.ts';
import { hostsAddCommand } from './hosts-add.ts';
import { hostsListCommand } from './hosts-list.ts';
import { hostsRemoveCommand } from './hosts-remove.ts';
import { deployCommand } from './deploy.ts';
import { rollbackCommand } from './rollback.ts';
import { canaryCommand } from './canary.ts';
import { statusCommand } from './status.ts';
import { releasesCommand } from './releases.ts';
import { controllerInitCommand } from './controller-init.ts';
import { auditCommand } from './audit.ts';
import { controllerRunCommand } from './controller-run.ts';
import { controllerLoginTokenCommand } from './controller-token.ts';
import { maintenanceCommand } from './maintenance.ts';
import { pauseCommand } from './pause.ts';
import { resumeCommand } from './resume.ts';

export const commands: BerthCommand[] = [
  initCommand,
  keysGenerateCommand,
  hostsAddCommand,
  hostsListCommand,
  hostsRemoveCommand,
  deployCommand,
  rollbackCommand,
  canaryCommand,
  maintenanceCommand,
  pauseCommand,
  resumeCommand,
  statusCommand,
  releasesCommand,
  auditCommand,
  controllerInitCommand,
  controllerRunCommand,
  controllerLoginTokenCommand,
];
