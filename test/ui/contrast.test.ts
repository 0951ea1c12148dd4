/**
 * The web app's palette meets WCAG 2.1 contrast: 4.5:1 for text, 3:1 for graphics (map markers, focus ring,
 * field borders, chart). The pairs and what they are used for are declared next to the colours.
 */
import { describe, expect, it } from 'vitest';
import { CONTRAST_PAIRS, PALETTE, contrast } from '../../src/web/palette.js';

describe('web palette contrast (WCAG 2.1)', () => {
  it('computes contrast as WCAG does', () => {
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrast('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
  });

  it.each(CONTRAST_PAIRS.map((p) => [p.use, p] as const))('%s', (_use, pair) => {
    const ratio = contrast(PALETTE[pair.fg], PALETTE[pair.bg]);
    expect(ratio, `${pair.fg} ${PALETTE[pair.fg]} on ${pair.bg} ${PALETTE[pair.bg]}: ${ratio.toFixed(2)}:1`).toBeGreaterThanOrEqual(pair.min);
  });
});
