/*
 * Milesight EM300-DI pulse counter / digital input sensor — uplink decoder (LoRa Alliance TS013 codec API)
 * Vendor: Milesight IoT
 * Written for Stadtpuls from the vendor's published payload description
 * (EM300-DI uplink data table, https://www.milesight.com/products/docs/en/em300-di/protocol/em300/em300-di-uplink.html,
 *  and the EM300 series user guide, section "Uplink packets").
 *
 * Channel/type TLV stream, little-endian, default fPort 85:
 *   ff 01 protocol version | ff 09 hardware version | ff 0a firmware version | ff 0b power on | ff 0f LoRaWAN class
 *   ff 16 serial number (8 bytes)
 *   01 75 battery %   | 03 67 temperature s16/10 °C | 04 68 humidity u8/2 %RH
 *   05 00 digital input (0 low, 1 high) | 85 00 digital input alarm (state, alarm)
 *   05 c8 pulse counter u32 (firmware <= v1.2)
 *   05 e1 water: conversion u16/10, pulse conversion u16/10, consumption float32
 *   85 e1 water + alarm status byte
 *   20 ce history (fw <= v1.2): time u32, temperature, humidity, interface type, pulse u32, digital status
 *   21 ce history: time u32, temperature, humidity, alarm, interface type, digital status, conversions, float32 water
 */

function decodeUplink(input) {
  var bytes = input && input.bytes;
  if (!bytes || typeof bytes.length !== 'number') return { errors: ['no payload bytes'] };
  if (bytes.length === 0) return { errors: ['empty payload'] };
  var data = {};
  var warnings = [];
  var i = 0;
  while (i < bytes.length) {
    if (i + 2 > bytes.length) return { errors: ['truncated channel header at byte ' + i] };
    var ch = bytes[i];
    var ty = bytes[i + 1];
    var need = em300diLength(ch, ty);
    if (need < 0) {
      warnings.push('unknown channel 0x' + em300diHex2(ch) + ' type 0x' + em300diHex2(ty) + ' at byte ' + i + ', rest ignored');
      break;
    }
    var p = i + 2;
    if (p + need > bytes.length) {
      return { errors: ['channel 0x' + em300diHex2(ch) + ' type 0x' + em300diHex2(ty) + ' needs ' + need + ' bytes, only ' + (bytes.length - p) + ' left'] };
    }
    em300diChannel(data, bytes, ch, ty, p);
    i = p + need;
  }
  var out = { data: data };
  if (warnings.length) out.warnings = warnings;
  return out;
}

function em300diLength(ch, ty) {
  if (ch === 0xff) {
    if (ty === 0x01 || ty === 0x0b || ty === 0x0f) return 1;
    if (ty === 0x09 || ty === 0x0a) return 2;
    if (ty === 0x16) return 8;
    return -1;
  }
  if (ch === 0x01 && ty === 0x75) return 1;
  if (ch === 0x03 && ty === 0x67) return 2;
  if (ch === 0x04 && ty === 0x68) return 1;
  if (ch === 0x05 && ty === 0x00) return 1;
  if (ch === 0x05 && ty === 0xc8) return 4;
  if (ch === 0x05 && ty === 0xe1) return 8;
  if (ch === 0x85 && ty === 0x00) return 2;
  if (ch === 0x85 && ty === 0xe1) return 9;
  if (ch === 0x20 && ty === 0xce) return 13;
  if (ch === 0x21 && ty === 0xce) return 18;
  return -1;
}

function em300diChannel(data, b, ch, ty, p) {
  if (ch === 0xff) {
    if (ty === 0x01) data.ipso_version = 'v' + b[p];
    else if (ty === 0x09) data.hardware_version = 'v' + b[p] + '.' + (b[p + 1] >> 4);
    else if (ty === 0x0a) data.firmware_version = 'v' + b[p] + '.' + b[p + 1].toString(16);
    else if (ty === 0x0b) data.device_status = 'on';
    else if (ty === 0x0f) data.lorawan_class = ['Class A', 'Class B', 'Class C', 'Class CtoB'][b[p]] || 'unknown';
    else if (ty === 0x16) {
      var sn = '';
      for (var k = 0; k < 8; k++) sn += em300diHex2(b[p + k]);
      data.sn = sn;
    }
    return;
  }
  if (ch === 0x01) data.battery = b[p];
  else if (ch === 0x03) data.temperature = em300diS16(b, p) / 10;
  else if (ch === 0x04) data.humidity = b[p] / 2;
  else if (ch === 0x05 && ty === 0x00) data.gpio = em300diLevel(b[p]);
  else if (ch === 0x05 && ty === 0xc8) data.pulse = em300diU32(b, p);
  else if (ch === 0x05 && ty === 0xe1) em300diWater(data, b, p);
  else if (ch === 0x85 && ty === 0x00) {
    data.gpio = em300diLevel(b[p]);
    data.gpio_alarm = b[p + 1] === 1 ? 'gpio alarm' : 'gpio alarm release';
  } else if (ch === 0x85 && ty === 0xe1) {
    em300diWater(data, b, p);
    data.water_alarm = em300diAlarm(b[p + 8]);
  } else if (ch === 0x20) {
    var h1 = { timestamp: em300diU32(b, p), temperature: em300diS16(b, p + 4) / 10, humidity: b[p + 6] / 2 };
    if (b[p + 7] === 1) {
      h1.gpio_type = 'gpio';
      h1.gpio = em300diLevel(b[p + 12]);
    } else {
      h1.gpio_type = 'pulse';
      h1.pulse = em300diU32(b, p + 8);
    }
    em300diPush(data, h1);
  } else if (ch === 0x21) {
    var h2 = {
      timestamp: em300diU32(b, p),
      temperature: em300diS16(b, p + 4) / 10,
      humidity: b[p + 6] / 2,
      alarm: em300diAlarm(b[p + 7])
    };
    if (b[p + 8] === 1) {
      h2.gpio_type = 'gpio';
      h2.gpio = em300diLevel(b[p + 9]);
    } else {
      h2.gpio_type = 'pulse';
      em300diWater(h2, b, p + 10);
    }
    em300diPush(data, h2);
  }
}

function em300diPush(data, entry) {
  if (!data.history) data.history = [];
  data.history.push(entry);
}

function em300diWater(target, b, p) {
  target.water_conv = em300diU16(b, p) / 10;
  target.pulse_conv = em300diU16(b, p + 2) / 10;
  target.water = Math.round(em300diF32(b, p + 4) * 100) / 100;
}

function em300diAlarm(code) {
  switch (code) {
    case 0: return 'none';
    case 1: return 'water outage timeout alarm';
    case 2: return 'water outage timeout alarm release';
    case 3: return 'water flow timeout alarm';
    case 4: return 'water flow timeout alarm release';
    default: return 'unknown';
  }
}

function em300diLevel(v) {
  return v === 1 ? 'high' : v === 0 ? 'low' : 'unknown';
}

function em300diHex2(v) {
  return (v < 16 ? '0' : '') + v.toString(16);
}

function em300diU16(b, p) {
  return b[p] | (b[p + 1] << 8);
}

function em300diS16(b, p) {
  var v = em300diU16(b, p);
  return v > 0x7fff ? v - 0x10000 : v;
}

function em300diU32(b, p) {
  return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16)) + b[p + 3] * 16777216;
}

// IEEE-754 binary32, little-endian, widened exactly to a double.
function em300diF32(b, p) {
  var bits = em300diU32(b, p);
  var sign = bits >= 0x80000000 ? -1 : 1;
  var exp = Math.floor(bits / 0x800000) & 0xff;
  var frac = bits % 0x800000;
  if (exp === 0xff) return frac ? NaN : sign * Infinity;
  if (exp === 0) return sign * frac * Math.pow(2, -149);
  return sign * (frac + 0x800000) * Math.pow(2, exp - 150);
}
