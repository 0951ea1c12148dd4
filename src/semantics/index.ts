import type { SemanticsContext, SemanticsModule } from './module.js';

/** The municipal-semantics modules, in the order they see each uplink. */
export function createSemantics(_ctx: SemanticsContext): SemanticsModule[] {
  return [];
}
