import type { SemanticsContext } from '../module.js';
import { HealthModule, type HealthOptions } from './module.js';

export { HealthModule } from './module.js';

export function createHealth(ctx: SemanticsContext, options?: HealthOptions): HealthModule {
  return new HealthModule(ctx, options);
}
