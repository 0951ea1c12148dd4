/**
 * Fills a catalog `simulate.hex` template such as "0ce4{distance:u16}0000d701" with reading values.
 * A placeholder is {reading:TYPE[*factor]}; the raw integer written is round(value × factor).
 */
const PLACEHOLDER = /\{([a-z_]+):(u8|u16|u32|u16le|u32le|s16|bool)(?:\*([0-9.]+))?\}/g;

const WIDTH = { u8: 1, u16: 2, u32: 4, u16le: 2, u32le: 4, s16: 2, bool: 1 } as const;

export function fillTemplate(hex: string, values: Readonly<Record<string, number | boolean>>): Uint8Array {
  const filled = hex.replace(PLACEHOLDER, (_m, name: string, type: keyof typeof WIDTH, factor?: string) => {
    const v = values[name];
    const n = Math.round((typeof v === 'boolean' ? (v ? 1 : 0) : (v ?? 0)) * (factor ? Number(factor) : 1));
    const bytes = WIDTH[type];
    const buf = Buffer.alloc(bytes);
    switch (type) {
      case 'u8':
      case 'bool':
        buf.writeUInt8(clamp(n, 0, 0xff));
        break;
      case 'u16':
        buf.writeUInt16BE(clamp(n, 0, 0xffff));
        break;
      case 'u16le':
        buf.writeUInt16LE(clamp(n, 0, 0xffff));
        break;
      case 's16':
        buf.writeInt16BE(clamp(n, -0x8000, 0x7fff));
        break;
      case 'u32':
        buf.writeUInt32BE(n >>> 0);
        break;
      case 'u32le':
        buf.writeUInt32LE(n >>> 0);
        break;
    }
    return buf.toString('hex');
  });
  if (!/^([0-9a-fA-F]{2})*$/.test(filled)) throw new Error(`simulate template did not produce hex: ${hex}`);
  return Buffer.from(filled, 'hex');
}

const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, n));
