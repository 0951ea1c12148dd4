import { createEnergy } from './energy/module.js';
import { createHealth } from './health/index.js';
import { createLevel } from './level/index.js';
import type { SemanticsContext, SemanticsModule } from './module.js';
import { createParking } from './parking/index.js';
import { createRecent } from './recent/module.js';

/** The municipal-semantics modules, in the order they see each uplink. */
export function createSemantics(ctx: SemanticsContext): SemanticsModule[] {
  return [createEnergy(ctx), createParking(ctx), createLevel(ctx), createHealth(ctx), createRecent(ctx)];
}
