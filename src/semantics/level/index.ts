import type { SemanticsContext } from '../module.js';
import { LevelModule } from './module.js';

export { LevelModule } from './module.js';
export { AlarmStore } from './alarms.js';

export function createLevel(ctx: SemanticsContext): LevelModule {
  return new LevelModule(ctx);
}
