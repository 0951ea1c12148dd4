/*
 * Dingtek DF702 — ultrasonic fill-level (waste bin) sensor with fire and tilt detection
 * Vendor: Beijing Dingtek Technology Corp., Ltd. (CNDingtek)
 * Written for Stadtpuls from the vendor's published payload description:
 *   "DF702&DF703 Waste Bin Sensor Protocol_LoRaWAN V2.8" (2021-08-09),
 *   https://cdn.shopify.com/s/files/1/0067/0249/7890/files/DF702_DF703_LoRaWAN_Protocol_V2.8.pdf
 *   and the DF702 alarm nibbles of the vendor's earlier payload description (full/fire, fall/battery).
 * NOTE: the offsets of the tilt angle (T+1) and of the two alarm bytes (T+3, T+4) are inferred from the vendor's
 * example frames (DF702/DF703 and the sibling DF530, whose level alarm is 0x10 at T+3); verify them against a
 * live alarm uplink before relying on the alarm flags.
 *
 * Frame (fPort 3): 0x80 header | forced bit | device type | data type | total length in bytes | data … | 0x81 tail
 * Data type 0x01 (heartbeat) and 0x02 (alarm report), offsets from the frame start:
 *   5-6  level: distance from the sensor to the bin content [mm], big endian
 *   7    GPS flag: 0x00 = no position, 0x01 = followed by longitude and latitude (IEEE-754 float32, little endian)
 *   T    temperature [°C], signed (T = 8 without, 16 with position)
 *   T+1  tilt angle [°]
 *   T+3  alarms: bits 7-4 bin full, bits 3-0 fire
 *   T+4  alarms: bits 7-4 tilt (fall), bits 3-0 low battery
 *   T+5  frame counter (2 bytes, not output), T+2 and T+7 reserved
 * Data type 0x03 (parameter report / command confirmation):
 *   5-6 firmware version, 7 periodic upload interval [h], 8 detection interval [min], 9 full alarm threshold [cm],
 *   10 fire alarm threshold [°C], 11 tilt alarm threshold [°], 12 tilt detection enabled, 13 ultrasonic work mode
 *   (0 = standard 2000 mm range).
 * Values are returned as strings with units, as the vendor's own decoder does (e.g. "2000 mm", "25 ℃").
 * Coordinates are formatted with 6 decimals from the float32 fields using the vendor decoder's mantissa scale
 * (1 + m / (2^23 - 1)); it differs from exact IEEE-754 widening by less than one float32 step (< 1 m).
 */

function dingtekHex(b) {
  var s = (b & 0xff).toString(16);
  return s.length < 2 ? '0' + s : s;
}

// float32, little endian, decoded the way the vendor's reference decoder does (see header).
function dingtekCoordinate(bytes, i) {
  var b0 = bytes[i] & 0xff, b1 = bytes[i + 1] & 0xff, b2 = bytes[i + 2] & 0xff, b3 = bytes[i + 3] & 0xff;
  var sign = (b3 & 0x80) ? -1 : 1;
  var exponent = ((b3 & 0x7f) << 1) | (b2 >> 7);
  var mantissa = ((b2 & 0x7f) << 16) | (b1 << 8) | b0;
  if (exponent === 0xff) return null;
  if (exponent === 0) return 0;
  return sign * Math.pow(2, exponent - 127) * (1 + mantissa / 0x7fffff);
}

function dingtekHeartbeat(bytes) {
  var gpsFlag = bytes[7];
  var t;
  var data = { level: (((bytes[5] & 0xff) << 8) | (bytes[6] & 0xff)) + ' mm' };
  if (gpsFlag === 0x00) {
    t = 8;
  } else if (gpsFlag === 0x01) {
    t = 16;
  } else {
    return { errors: ['unknown GPS flag 0x' + dingtekHex(gpsFlag) + ' (0x00 = none, 0x01 = position follows)'] };
  }
  if (bytes.length < t + 9) {
    return { errors: ['heartbeat too short: ' + bytes.length + ' byte(s), need ' + (t + 9) + (t === 16 ? ' with GPS position' : '')] };
  }
  var warnings = [];
  if (t === 16) {
    var lon = dingtekCoordinate(bytes, 8);
    var lat = dingtekCoordinate(bytes, 12);
    if (lon === null || lat === null) {
      warnings.push('GPS position is not a number');
    } else {
      data.longitude = lon.toFixed(6);
      data.latitude = lat.toFixed(6);
    }
  }
  var temperature = bytes[t] & 0xff;
  if (temperature >= 0x80) temperature -= 0x100;
  var alarms1 = bytes[t + 3] & 0xff;
  var alarms2 = bytes[t + 4] & 0xff;
  data.full = (alarms1 & 0xf0) !== 0;
  data.fire = (alarms1 & 0x0f) !== 0;
  data.tilt = (alarms2 & 0xf0) !== 0;
  data.battery = (alarms2 & 0x0f) !== 0;
  data.angle = (bytes[t + 1] & 0xff) + ' °';
  data.temperature = temperature + ' ℃';
  var result = { data: data };
  if (warnings.length) result.warnings = warnings;
  return result;
}

function dingtekParameters(bytes) {
  if (bytes.length < 15) {
    return { errors: ['parameter report too short: ' + bytes.length + ' byte(s), need at least 15'] };
  }
  var mode = bytes[13] & 0xff;
  var data = {
    periodic_interval: (bytes[7] & 0xff) + ' hours',
    detection_interval: (bytes[8] & 0xff) + ' minutes',
    full_alarm_threshold: (bytes[9] & 0xff) + ' cm',
    fire_alarm_threshold: (bytes[10] & 0xff) + ' ℃',
    tilt_alarm_threshold: (bytes[11] & 0xff) + ' °',
    tilt_enable: bytes[12] === 0x01,
    ultrasonic_range: mode === 0 ? '2000 mm' : 'work mode ' + mode
  };
  var result = { data: data };
  if (mode !== 0) result.warnings = ['undocumented ultrasonic work mode ' + mode];
  return result;
}

function decodeUplink(input) {
  var bytes = input && input.bytes;
  if (!bytes || typeof bytes.length !== 'number') {
    return { errors: ['no payload bytes'] };
  }
  if (bytes.length < 6) {
    return { errors: ['payload too short: ' + bytes.length + ' byte(s)'] };
  }
  if (bytes[0] !== 0x80 || bytes[bytes.length - 1] !== 0x81) {
    return { errors: ['not a Dingtek frame: expected header 0x80 and tail 0x81'] };
  }
  if (bytes[4] !== bytes.length) {
    return { errors: ['length field says ' + bytes[4] + ' byte(s), frame has ' + bytes.length] };
  }
  var type = bytes[3];
  if (type === 0x01 || type === 0x02) return dingtekHeartbeat(bytes);
  if (type === 0x03) return dingtekParameters(bytes);
  return { errors: ['unknown data type 0x' + dingtekHex(type)] };
}
