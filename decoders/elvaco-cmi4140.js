/*
 * Elvaco CMi4140 LoRaWAN module for Kamstrup MULTICAL 403/603/803 heat/cooling meters - payload decoder (TS013)
 * Vendor: Elvaco AB
 * Written for Stadtpuls from the vendor's published payload description.
 * Docs: "CMi4140 User's Manual" v1.1 (2020-06), chapter 6.7 "Message formats" (tables 5-14),
 *       https://www.elvaco.com/ ; M-Bus data records per EN 13757-3.
 *
 * Uplink on fPort 2. Byte 0 is the message format identifier, followed by M-Bus data information
 * blocks (DIF [DIFE..] VIF [VIFE..] data, little endian):
 *   0x15 Standard, 0x16 Compact, 0x17 JSON (ASCII text), 0x18 Scheduled - daily redundant,
 *   0x19 Scheduled - extended, 0x1A Combined heat/cooling, 0xFA clock message.
 *   (0x1B Heat Intelligence is not supported.)
 * Output units: energy kWh, volume m3, power kW, flow m3/h, temperatures degC.
 * serial = meter ID (BCD digits as a number); error_flag = the meter's info bits written as hex digits
 * (e.g. 0x00010000 -> 10000; if a digit a-f occurs, the hex string is returned instead).
 */

var CMI_FORMATS = { 21: 'Standard', 22: 'Compact', 24: 'Scheduled - daily redundant', 25: 'Scheduled - extended', 26: 'Combined heat/cooling', 250: 'Clock message' };
// data field length per DIF low nibble (-1 = not supported here)
var CMI_DATA_LENGTH = [0, 1, 2, 3, 4, 4, 6, 8, 0, 1, 2, 3, 4, -1, 6, -1];
var CMI_KWH_PER_MCAL = 1.163;

function cmiHex2(b) {
  return ('0' + b.toString(16)).slice(-2);
}

// 10^exp applied by multiplication or division so that decimal results are correctly rounded
function cmiScale(value, exp) {
  if (exp >= 0) return value * Math.pow(10, exp);
  return value / Math.pow(10, -exp);
}

function cmiUint(bytes, offset, length) {
  var value = 0;
  var factor = 1;
  for (var i = 0; i < length; i++) {
    value += bytes[offset + i] * factor;
    factor *= 256;
  }
  return value;
}

function cmiInt(bytes, offset, length) {
  var value = cmiUint(bytes, offset, length);
  var limit = Math.pow(2, 8 * length);
  return value >= limit / 2 ? value - limit : value;
}

function cmiFloat32(bytes, offset) {
  var bits = cmiUint(bytes, offset, 4);
  var sign = bits >= 0x80000000 ? -1 : 1;
  var exponent = Math.floor(bits / 0x800000) & 0xff;
  var mantissa = bits % 0x800000;
  if (exponent === 0xff) return mantissa ? NaN : sign * Infinity;
  if (exponent === 0) return sign * mantissa * Math.pow(2, -149);
  return sign * (1 + mantissa / 0x800000) * Math.pow(2, exponent - 127);
}

// Hex digits of the data field, most significant first (BCD numbers, info bits)
function cmiDigits(bytes, offset, length) {
  var s = '';
  for (var i = length - 1; i >= 0; i--) s += cmiHex2(bytes[offset + i]);
  return s;
}

function cmiDigitsValue(digits) {
  return /^[0-9]+$/.test(digits) ? Number(digits) : digits;
}

// M-Bus type F date/time (CP32) -> "YYYY-MM-DD HH:MM" (meter local time)
function cmiTypeF(bytes, offset) {
  var minute = bytes[offset] & 0x3f;
  var hour = bytes[offset + 1] & 0x1f;
  var day = bytes[offset + 2] & 0x1f;
  var month = bytes[offset + 3] & 0x0f;
  var year = ((bytes[offset + 2] & 0xe0) >> 5) | ((bytes[offset + 3] & 0xf0) >> 1);
  function two(n) {
    return (n < 10 ? '0' : '') + n;
  }
  return {
    text: (2000 + year) + '-' + two(month) + '-' + two(day) + ' ' + two(hour) + ':' + two(minute),
    invalid: (bytes[offset] & 0x80) !== 0
  };
}

function cmiNumeric(bytes, offset, length, lowNibble) {
  if (lowNibble === 5) return cmiFloat32(bytes, offset);
  if (lowNibble >= 9) {
    var digits = cmiDigits(bytes, offset, length);
    if (digits.charAt(0) === 'f') return -Number(digits.slice(1));
    return /^[0-9]+$/.test(digits) ? Number(digits) : NaN;
  }
  return cmiInt(bytes, offset, length);
}

function cmiParseRecords(bytes, start, data, warnings) {
  var pos = start;
  while (pos < bytes.length) {
    var recordStart = pos;
    var dif = bytes[pos++];
    if (dif === 0x2f) continue; // idle filler
    if (dif === 0x0f || dif === 0x1f) {
      if (pos < bytes.length) warnings.push('Manufacturer specific data at byte ' + recordStart + ' ignored');
      break;
    }
    var storage = (dif >> 6) & 1;
    var fn = (dif >> 4) & 3;
    var last = dif;
    var difeCount = 0;
    while (last & 0x80) {
      if (pos >= bytes.length) return 'DIF extension at byte ' + recordStart + ' is truncated';
      last = bytes[pos++];
      storage |= (last & 0x0f) << (1 + 4 * difeCount);
      difeCount++;
    }
    if (pos >= bytes.length) return 'Data record at byte ' + recordStart + ' has no VIF';
    var vif = bytes[pos++];
    var table = 0;
    var code = vif & 0x7f;
    var vifes = [];
    var ext = vif & 0x80;
    if (vif === 0xfb || vif === 0xfd) {
      if (pos >= bytes.length) return 'VIF extension at byte ' + recordStart + ' is truncated';
      table = vif;
      last = bytes[pos++];
      code = last & 0x7f;
      ext = last & 0x80;
    } else if (vif === 0xff || vif === 0x7f) {
      table = 0xff;
    }
    while (ext) {
      if (pos >= bytes.length) return 'VIF extension at byte ' + recordStart + ' is truncated';
      last = bytes[pos++];
      vifes.push(last);
      ext = last & 0x80;
    }
    var low = dif & 0x0f;
    var length = CMI_DATA_LENGTH[low];
    var special = table === 0xff && low === 7 && vifes.length > 0 ? vifes[0] : -1;
    if (special === 0xa0) length = 9; // power/flow/temperature block of the scheduled formats
    if (length < 0) {
      warnings.push('Unsupported data field 0x' + cmiHex2(dif) + ' at byte ' + recordStart + ', rest ignored');
      break;
    }
    if (pos + length > bytes.length) return 'Data record at byte ' + recordStart + ' is truncated';
    var at = pos;
    pos += length;
    if (fn === 3) {
      warnings.push('Value at byte ' + recordStart + ' is flagged as invalid (value during error state)');
      continue;
    }
    if (table === 0xff) {
      if (special === 0xa0) {
        var scaling = bytes[at];
        data.flow_temperature = cmiInt(bytes, at + 1, 2) / 100;
        data.return_temperature = cmiInt(bytes, at + 3, 2) / 100;
        data.flow = cmiScale(cmiUint(bytes, at + 5, 2), (scaling & 7) - 6);
        data.power = cmiScale(cmiUint(bytes, at + 7, 2), ((scaling >> 4) & 7) - 6);
      } else if (special === 0x21 && length === 8) {
        data.error_flag = cmiDigitsValue(cmiDigits(bytes, at, 4));
        data.serial = cmiUint(bytes, at + 4, 4);
      } else {
        warnings.push('Manufacturer specific record at byte ' + recordStart + ' skipped');
      }
      continue;
    }
    var cooling = false;
    for (var v = 0; v + 1 < vifes.length; v++) {
      if (vifes[v] === 0xff && vifes[v + 1] === 0x02) cooling = true;
    }
    var key = null;
    var value = null;
    if (table === 0) {
      if (code <= 0x07) {
        key = 'energy';
        value = cmiScale(cmiNumeric(bytes, at, length, low), (code & 7) - 6);
      } else if (code <= 0x0f) {
        key = 'energy';
        value = cmiScale(cmiNumeric(bytes, at, length, low), code & 7) / 3600000;
      } else if (code <= 0x17) {
        key = 'volume';
        value = cmiScale(cmiNumeric(bytes, at, length, low), (code & 7) - 6);
      } else if (code >= 0x28 && code <= 0x2f) {
        key = 'power';
        value = cmiScale(cmiNumeric(bytes, at, length, low), (code & 7) - 6);
      } else if (code >= 0x38 && code <= 0x3f) {
        key = 'flow';
        value = cmiScale(cmiNumeric(bytes, at, length, low), (code & 7) - 6);
      } else if (code >= 0x58 && code <= 0x5b) {
        key = 'flow_temperature';
        value = cmiScale(cmiNumeric(bytes, at, length, low), (code & 3) - 3);
      } else if (code >= 0x5c && code <= 0x5f) {
        key = 'return_temperature';
        value = cmiScale(cmiNumeric(bytes, at, length, low), (code & 3) - 3);
      } else if (code === 0x6d && length === 4) {
        var time = cmiTypeF(bytes, at);
        key = 'meter_time';
        value = time.text;
        if (time.invalid) warnings.push('Meter date/time is flagged as invalid');
      } else if ((code === 0x78 || code === 0x79) && length > 0) {
        key = 'serial';
        value = low >= 9 ? cmiDigitsValue(cmiDigits(bytes, at, length)) : cmiUint(bytes, at, length);
      }
    } else if (table === 0xfd && code === 0x17 && length > 0) {
      key = 'error_flag';
      value = cmiDigitsValue(cmiDigits(bytes, at, length));
    } else if (table === 0xfb && (code === 0x00 || code === 0x01)) {
      key = 'energy';
      value = cmiScale(cmiNumeric(bytes, at, length, low), (code & 1) + 2);
    } else if (table === 0xfb && code >= 0x0d && code <= 0x0f) {
      key = 'energy';
      value = cmiScale(cmiNumeric(bytes, at, length, low), (code & 3) - 1) * CMI_KWH_PER_MCAL;
    }
    if (key === null) {
      warnings.push('Unknown data record 0x' + cmiHex2(dif) + ' 0x' + cmiHex2(vif) + ' at byte ' + recordStart + ' skipped');
      continue;
    }
    if (key === 'energy' && cooling) key = 'cooling_energy';
    if (storage > 0 && (key === 'energy' || key === 'cooling_energy')) key += '_at_midnight';
    data[key] = value;
  }
  return null;
}

function cmiDecodeJson(bytes) {
  var text = '';
  for (var i = 1; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
  var parsed;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return { errors: ['JSON message format: payload is not valid JSON'] };
  }
  var toKwh = { Wh: 0.001, kWh: 1, MWh: 1000, GWh: 1000000, J: 1 / 3600000, kJ: 1 / 3600, MJ: 1 / 3.6, GJ: 1000 / 3.6, Cal: 1.163e-6, kCal: 1.163e-3, MCal: 1.163, GCal: 1163 };
  var data = {};
  if (typeof parsed.E === 'number' && toKwh[parsed.U] !== undefined) {
    data.energy = parsed.U === 'kWh' ? parsed.E : parsed.E * toKwh[parsed.U];
  }
  if (parsed.ID !== undefined) data.serial = parsed.ID;
  return { data: data };
}

function decodeUplink(input) {
  var bytes = input && input.bytes;
  if (input.fPort !== 2) {
    return { errors: ['Unknown port ' + input.fPort + ' (CMi4140 uplinks use fPort 2)'] };
  }
  if (!bytes || bytes.length < 2) {
    return { errors: ['Payload too short: ' + (bytes ? bytes.length : 0) + ' bytes'] };
  }
  var format = bytes[0];
  if (format === 0x17) return cmiDecodeJson(bytes);
  if (!CMI_FORMATS[format]) {
    return { errors: ['Unsupported message format 0x' + cmiHex2(format)] };
  }
  var data = {};
  var warnings = [];
  var problem = cmiParseRecords(bytes, 1, data, warnings);
  if (problem) return { errors: [problem] };
  var result = { data: data };
  if (warnings.length) result.warnings = warnings;
  return result;
}
