import type { SemanticsContext } from '../module.js';
import { ParkingModule } from './module.js';

export { ParkingModule } from './module.js';

export function createParking(ctx: SemanticsContext): ParkingModule {
  return new ParkingModule(ctx);
}
