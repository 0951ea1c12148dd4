/*
 * KELLER ADT1 / ARC1 LoRaWAN remote transmitter (for KELLER level probes and pressure transmitters)
 * Vendor: KELLER AG für Druckmesstechnik
 * Written for Stadtpuls from the vendor's published payload description:
 *   "ADT1 - LoRa data communication protocol", Version 02/2020 (and the ARC-1 edition of the same date),
 *   function codes 0x01 (measurement) and 0x0C (info), "Device type overview";
 *   https://docs.pressuresuite.com/sending-technology/lora-technology/keller-lora-payload/
 *   (channel mapping: device type -> channel number -> measurement definition).
 */

// Channel names per "device type" (connection type), index = channel number - 1 = bit position in the
// 16-bit channel mask. null = channel not assigned for that type (reported as "Channel N").
var KELLER_BASE_P1P2 = ['Pd (P1-P2)', 'P1', 'P2', 'T', 'TOB1', 'TOB2'];
var KELLER_BARO = ['PBaro', 'TBaro'];
var KELLER_VOLT = ['Volt Inp. 1', 'Volt Inp. 2'];

var KELLER_DEVICE_TYPES = {
  0: KELLER_BASE_P1P2,
  1: KELLER_BASE_P1P2,
  2: KELLER_BASE_P1P2.concat(KELLER_BARO),
  3: ['Pd (P1-PBaro)', 'P1', 'P2', 'T', 'TOB1', 'TOB2'].concat(KELLER_BARO),
  4: KELLER_BASE_P1P2.concat(KELLER_BARO, KELLER_VOLT),
  5: ['Pd (P1-PBaro)', 'P1', 'P2', 'T', 'TOB1', 'TOB2'].concat(KELLER_BARO, KELLER_VOLT),
  6: KELLER_BASE_P1P2.concat(KELLER_BARO, KELLER_VOLT, ['P1 (2)', 'P1 (3)', 'P1 (4)', 'P1 (5)', 'Counter input']),
  7: [null, 'PBaro', 'TBaro', 'Volt Inp. 1', 'Volt Inp. 2', 'SDI12 CH1', 'SDI12 CH2', 'SDI12 CH3', 'SDI12 CH4',
    'SDI12 CH5', 'SDI12 CH6', 'SDI12 CH7', 'SDI12 CH8', 'SDI12 CH9', 'SDI12 CH10'],
  8: ['P1', 'TOB1', 'P1 (2)', 'TOB1 (2)', 'P1 (3)', 'TOB1 (3)', 'P1 (4)', 'TOB1 (4)', 'P1 (5)', 'TOB1 (5)',
    'Volt Inp. 1', 'Volt Inp. 2', 'PBaro', 'TBaro', 'Counter input'],
  9: ['Pd (P1-P2)', 'P1', 'P2', 'T (Conductivity)', 'TOB1', 'TOB2'].concat(KELLER_BARO, KELLER_VOLT,
    ['Conductivity Tc', 'Conductivity raw']),
  10: ['Pd (P1-PBaro)', 'P1', 'P2', 'T (Conductivity)', 'TOB1', 'TOB2'].concat(KELLER_BARO, KELLER_VOLT,
    ['Conductivity Tc', 'Conductivity raw']),
  11: ['P1', 'TOB1', 'Conductivity Tc', 'T (Conductivity)', 'P1 (2)', 'TOB1 (2)', 'Conductivity Tc (2)',
    'T (Conductivity) (2)', 'P1 (3)', 'TOB1 (3)', 'Conductivity Tc (3)', 'T (Conductivity) (3)', 'PBaro', 'TBaro',
    'Counter input'],
  12: ['Pd (P1-PBaro)', 'P1', 'P2', 'T (Conductivity)', 'TOB1', 'TOB2'].concat(KELLER_BARO),
  13: ['P1', 'P2', 'TOB1', 'TOB2', 'P1 (2)', 'P2 (2)', 'TOB1 (2)', 'TOB2 (2)', 'PBaro', 'TBaro', 'Volt Inp. 1',
    'Volt Inp. 2', 'Counter input']
};

function kellerHex(bytes) {
  var s = '';
  for (var i = 0; i < bytes.length; i++) {
    var h = (bytes[i] & 0xff).toString(16).toUpperCase();
    s += h.length < 2 ? '0' + h : h;
  }
  return s;
}

function kellerPad(n, width) {
  var s = String(n);
  while (s.length < width) s = '0' + s;
  return s;
}

function kellerU32(b, i) {
  return ((b[i] << 24) >>> 0) + (b[i + 1] << 16) + (b[i + 2] << 8) + b[i + 3];
}

// IEEE-754 single precision, big endian, widened exactly to a double.
function kellerFloat32(b, i) {
  var bits = kellerU32(b, i);
  var sign = bits >>> 31 ? -1 : 1;
  var exponent = (bits >>> 23) & 0xff;
  var mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return mantissa ? NaN : sign * Infinity;
  if (exponent === 0) return sign * mantissa * Math.pow(2, -149);
  return sign * (mantissa + 0x800000) * Math.pow(2, exponent - 150);
}

function kellerChannelName(deviceType, channelNumber) {
  var names = KELLER_DEVICE_TYPES[deviceType];
  var name = names ? names[channelNumber - 1] : null;
  return name ? name : 'Channel ' + channelNumber;
}

function kellerMeasurement(b, data, warnings) {
  if (b.length < 4) return 'measurement message (function 0x01) needs at least 4 bytes, got ' + b.length;
  var deviceType = b[1];
  var mask = (b[2] << 8) | b[3];
  var bitString = '';
  var count = 0;
  for (var bit = 15; bit >= 0; bit--) {
    var set = (mask >> bit) & 1;
    bitString += set ? '1' : '0';
    count += set;
  }
  var needed = 4 + 4 * count;
  if (b.length < needed) {
    return 'measurement message announces ' + count + ' channel value(s) (' + needed + ' bytes), got ' + b.length + ' bytes';
  }
  if (b.length > needed) warnings.push('ignoring ' + (b.length - needed) + ' trailing byte(s)');
  if (!KELLER_DEVICE_TYPES[deviceType]) warnings.push('unknown device type ' + deviceType + ': channels named by number');
  data.ct = deviceType;
  data.channel = bitString;
  data.channelCount = count;
  var offset = 4;
  for (var ch = 0; ch < 16; ch++) {
    if ((mask >> ch) & 1) {
      data[kellerChannelName(deviceType, ch + 1)] = kellerFloat32(b, offset);
      offset += 4;
    }
  }
  return null;
}

function kellerInfo(b, data, warnings) {
  if (b.length < 20) return 'info message (function 0x0C) needs 20 bytes, got ' + b.length;
  if (b[1] !== 1) warnings.push('info message type ' + b[1] + ' is not documented (expected 1)');
  if (b.length > 20) warnings.push('ignoring ' + (b.length - 20) + ' trailing byte(s)');
  data.class_group_text = b[2] + '.' + kellerPad(b[3], 2);
  data.sw_version_text = b[4] + '.' + kellerPad(b[5], 2);
  data.serial_number = kellerU32(b, 6);
  // Device-local time in seconds since 2000-01-01 00:00:00 (no time zone information).
  var t = new Date(Date.UTC(2000, 0, 1) + kellerU32(b, 10) * 1000);
  data.device_local_datetime = t.getUTCFullYear() + '-' + kellerPad(t.getUTCMonth() + 1, 2) + '-' +
    kellerPad(t.getUTCDate(), 2) + ' ' + kellerPad(t.getUTCHours(), 2) + ':' + kellerPad(t.getUTCMinutes(), 2) + ':' +
    kellerPad(t.getUTCSeconds(), 2);
  data.battery_voltage = kellerFloat32(b, 14);
  data.battery_capacity_percentage = b[18];
  data.humidity_percentage = b[19];
  return null;
}

function decodeUplink(input) {
  var b = input && input.bytes;
  if (!b || typeof b.length !== 'number') return { errors: ['no payload bytes'] };
  if (b.length < 1) return { errors: ['empty payload'] };
  var warnings = [];
  var data = { port: input.fPort, payload: kellerHex(b), func: b[0] };
  var error = null;
  if (b[0] === 0x01) {
    error = kellerMeasurement(b, data, warnings);
  } else if (b[0] === 0x0c) {
    error = kellerInfo(b, data, warnings);
  } else {
    warnings.push('function code ' + b[0] + ' is not decoded (only 1 = measurement and 12 = info)');
  }
  if (error) return { errors: [error] };
  return { data: data, warnings: warnings };
}
