import { readFile } from 'node:fs/promises';
import type { DeviceModel } from '../registry/catalog.js';
import { Codec, type CodecLimits } from './sandbox.js';

/**
 * Compiled codecs by model id. Each model's decoder is loaded once, at start-up, in its own sandbox;
 * a decoder that does not compile fails start-up with the file named.
 */
export class CodecRegistry {
  private readonly codecs = new Map<string, Codec>();

  constructor(private readonly limits: CodecLimits) {}

  async load(models: readonly DeviceModel[]): Promise<void> {
    const problems: string[] = [];
    for (const model of models) {
      if (!model.decoderPath) continue;
      try {
        this.codecs.set(model.id, await Codec.load(model.id, await readFile(model.decoderPath, 'utf8'), this.limits));
      } catch (err) {
        problems.push(`${model.decoderPath}: ${(err as Error).message}`);
      }
    }
    if (problems.length > 0) throw new Error(`decoders failed to load:\n  ${problems.join('\n  ')}`);
  }

  get(modelId: string): Codec | undefined {
    return this.codecs.get(modelId);
  }

  dispose(): void {
    for (const c of this.codecs.values()) c.dispose();
    this.codecs.clear();
  }
}
