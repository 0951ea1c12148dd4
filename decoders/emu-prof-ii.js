/*
 * EMU Professional II LoRa (3-phase MID energy meter) - payload decoder (TS013)
 * Vendor: EMU Electronic AG
 * Written for Stadtpuls from the vendor's published payload description.
 * Docs: "Manual EMU Professional II Lora" (EMU Electronic AG), chapter "Uplink Nachrichten / Senden von
 *       Messwerten", https://www.emuag.ch/produkte/energiezaehler/emu-professional-ii/
 *
 * Every uplink: bytes 0-3 timestamp of the readout (Unix seconds, uint32 little endian), then
 * register records (1-byte register id + value, little endian), then one CRC-8 byte
 * (polynomial 0x07, init 0x00) over all preceding bytes. A CRC mismatch is reported as a warning.
 *   Measurement uplinks (fPort 1..99, the register set of each port is configurable):
 *     0x01 timestamp (uint32, s)
 *     0x03/0x04 active energy import T1/T2, 0x05/0x06 active energy delivered (Export) T1/T2 (uint32, Wh)
 *     0x07/0x08 reactive energy import T1/T2, 0x09/0x0A reactive energy delivered (Export) T1/T2 (uint32, varh)
 *   Meter information after join (fPort 100):
 *     0xF1 serial number (4 bytes BCD), 0xF3/0xF4 current transformer primary/secondary (uint16),
 *     0xF5/0xF6 voltage transformer primary/secondary (uint16), 0xF7 meter type (uint8),
 *     0xF8 MID year (4 bytes, one decimal digit each)
 * Register ids not listed here stop decoding of the remaining records (their length is unknown);
 * the registers decoded up to that point are returned with a warning.
 */

var EMU_REGISTERS = {
  1: { name: 'timestamp', size: 4, unit: 'seconds', kind: 'u32' },
  3: { name: 'Active Energy Import T1', size: 4, unit: 'Wh', kind: 'u32' },
  4: { name: 'Active Energy Import T2', size: 4, unit: 'Wh', kind: 'u32' },
  5: { name: 'Active Energy Export T1', size: 4, unit: 'Wh', kind: 'u32' },
  6: { name: 'Active Energy Export T2', size: 4, unit: 'Wh', kind: 'u32' },
  7: { name: 'Reactive Energy Import T1', size: 4, unit: 'varh', kind: 'u32' },
  8: { name: 'Reactive Energy Import T2', size: 4, unit: 'varh', kind: 'u32' },
  9: { name: 'Reactive Energy Export T1', size: 4, unit: 'varh', kind: 'u32' },
  10: { name: 'Reactive Energy Export T2', size: 4, unit: 'varh', kind: 'u32' },
  241: { name: 'serial-number', size: 4, kind: 'bcd' },
  243: { name: 'current-transformer primary', size: 2, kind: 'u16' },
  244: { name: 'current-transformer secondary', size: 2, kind: 'u16' },
  245: { name: 'voltage-transformer primary', size: 2, kind: 'u16' },
  246: { name: 'voltage-transformer secondary', size: 2, kind: 'u16' },
  247: { name: 'meter-typ', size: 1, kind: 'u8' },
  248: { name: 'MID year', size: 4, kind: 'digits' }
};

function emuUintLE(bytes, offset, length) {
  var value = 0;
  var factor = 1;
  for (var i = 0; i < length; i++) {
    value += bytes[offset + i] * factor;
    factor *= 256;
  }
  return value;
}

function emuCrc8(bytes, length) {
  var crc = 0;
  for (var i = 0; i < length; i++) {
    crc ^= bytes[i];
    for (var bit = 0; bit < 8; bit++) {
      crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
    }
  }
  return crc;
}

function emuHex2(b) {
  return ('0' + b.toString(16)).slice(-2);
}

function emuValue(reg, bytes, offset) {
  var i;
  var s = '';
  if (reg.kind === 'bcd') {
    for (i = reg.size - 1; i >= 0; i--) s += emuHex2(bytes[offset + i]);
    return s;
  }
  if (reg.kind === 'digits') {
    for (i = 0; i < reg.size; i++) s += String(bytes[offset + i]);
    return s;
  }
  return emuUintLE(bytes, offset, reg.size);
}

function decodeUplink(input) {
  var bytes = input && input.bytes;
  var port = input.fPort;
  if (typeof port !== 'number' || port < 1 || port > 100) {
    return { errors: ['Unknown port ' + port + ' (measurements use fPort 1-99, meter information fPort 100)'] };
  }
  if (!bytes || bytes.length < 5) {
    return { errors: ['Payload too short: ' + (bytes ? bytes.length : 0) + ' bytes, need timestamp and CRC (5)'] };
  }
  var end = bytes.length - 1;
  var warnings = [];
  var crc = emuCrc8(bytes, end);
  if (crc !== bytes[end]) {
    warnings.push('CRC-8 mismatch: received 0x' + emuHex2(bytes[end]) + ', computed 0x' + emuHex2(crc));
  }
  var data = {
    timeStamp: emuUintLE(bytes, 0, 4),
    medium: { type: 1, desc: 'Electricity' }
  };
  var pos = 4;
  while (pos < end) {
    var id = bytes[pos];
    var reg = EMU_REGISTERS[id];
    if (!reg) {
      warnings.push('Unknown register 0x' + emuHex2(id) + ' at byte ' + pos + ', remaining ' + (end - pos) + ' bytes not decoded');
      break;
    }
    if (pos + 1 + reg.size > end) {
      return { errors: ['Register 0x' + emuHex2(id) + ' at byte ' + pos + ' is truncated'] };
    }
    var entry = { value: emuValue(reg, bytes, pos + 1) };
    if (reg.unit) entry = { unit: reg.unit, value: entry.value };
    data[reg.name] = entry;
    pos += 1 + reg.size;
  }
  var result = { data: data };
  if (warnings.length) result.warnings = warnings;
  return result;
}
