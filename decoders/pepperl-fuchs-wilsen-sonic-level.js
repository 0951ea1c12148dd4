/*
 * WILSEN.sonic.level wireless ultrasonic level sensor (LoRaWAN)
 * Vendor: Pepperl+Fuchs
 * Written for Stadtpuls from the vendor's published payload description:
 *   "Description of the Payload - Wireless Ultrasonic Sensor WILSEN.sonic.level" (Pepperl+Fuchs, tdoct7056, 11/2020).
 *
 * The application payload is a sequence of application data packages (ADP):
 *   length (1 byte, counts UUID + data) | UUID (2 bytes) | data (length - 2 bytes), multi-byte values big endian.
 */

function wilsenHex(bytes) {
  var s = '';
  for (var i = 0; i < bytes.length; i++) {
    var h = (bytes[i] & 0xff).toString(16).toUpperCase();
    s += h.length < 2 ? '0' + h : h;
  }
  return s;
}

function wilsenUnsigned(b, i, n) {
  var v = 0;
  for (var k = 0; k < n; k++) v = v * 256 + b[i + k];
  return v;
}

function wilsenInt32(b, i) {
  var v = wilsenUnsigned(b, i, 4);
  return v >= 0x80000000 ? v - 0x100000000 : v;
}

// IEEE-754 single precision, big endian, widened exactly to a double.
function wilsenFloat32(b, i) {
  var bits = wilsenUnsigned(b, i, 4);
  var sign = bits >= 0x80000000 ? -1 : 1;
  var exponent = Math.floor(bits / 0x800000) & 0xff;
  var mantissa = bits % 0x800000;
  if (exponent === 0xff) return mantissa ? NaN : sign * Infinity;
  if (exponent === 0) return sign * mantissa * Math.pow(2, -149);
  return sign * (mantissa + 0x800000) * Math.pow(2, exponent - 150);
}

function wilsenAscii(b, i, n) {
  var s = '';
  for (var k = 0; k < n; k++) s += String.fromCharCode(b[i + k]);
  return s;
}

// UUID -> [output field, data length in bytes (0 = any), reader]
var WILSEN_ADP = {
  0x0b01: ['proxx', 2, function (b, i) { return wilsenUnsigned(b, i, 2); }],            // proximity, cm
  0x0b02: ['proxx_mm', 2, function (b, i) { return wilsenUnsigned(b, i, 2); }],         // proximity, mm
  0x0b06: ['fillinglvl', 1, function (b, i) { return b[i]; }],                          // fill level, %
  0x0201: ['temp', 4, function (b, i) { return Math.round(wilsenFloat32(b, i) * 10) / 10; }], // °C, 0.1 resolution
  0x5101: ['battery_vol', 1, function (b, i) { return b[i] / 10; }],                    // volts / 10
  0x5001: ['latitude', 4, function (b, i) { return wilsenInt32(b, i) / 1000000; }],     // degrees × 10^6
  0x5002: ['longitude', 4, function (b, i) { return wilsenInt32(b, i) / 1000000; }],    // degrees × 10^6
  0x2a25: ['serial_nr', 0, function (b, i, n) { return wilsenAscii(b, i, n); }],        // ASCII serial number
  0x3101: ['lora_count', 0, function (b, i, n) { return wilsenUnsigned(b, i, n); }],    // LoRa transmissions
  0x3102: ['gps_count', 0, function (b, i, n) { return wilsenUnsigned(b, i, n); }],     // GPS position fixes
  0x3103: ['us_sensor_count', 0, function (b, i, n) { return wilsenUnsigned(b, i, n); }] // ultrasonic measurements
};

function decodeUplink(input) {
  var b = input && input.bytes;
  if (!b || typeof b.length !== 'number') return { errors: ['no payload bytes'] };
  if (b.length < 1) return { errors: ['empty payload'] };
  var data = { payload: wilsenHex(b) };
  var warnings = [];
  var i = 0;
  while (i < b.length) {
    var len = b[i];
    if (len < 2) return { errors: ['data package at byte ' + i + ' has invalid length ' + len] };
    if (i + 1 + len > b.length) {
      return { errors: ['data package at byte ' + i + ' needs ' + len + ' bytes after its length byte, only ' + (b.length - i - 1) + ' left'] };
    }
    var uuid = (b[i + 1] << 8) | b[i + 2];
    var n = len - 2;
    var def = WILSEN_ADP[uuid];
    if (!def) {
      warnings.push('unknown data package UUID 0x' + wilsenHex([b[i + 1], b[i + 2]]) + ' skipped');
    } else if ((def[1] && n !== def[1]) || (!def[1] && (n < 1 || (def[0] !== 'serial_nr' && n > 6)))) {
      return { errors: ['data package 0x' + wilsenHex([b[i + 1], b[i + 2]]) + ' (' + def[0] + ') has unexpected data length ' + n] };
    } else {
      data[def[0]] = def[2](b, i + 3, n);
    }
    i += 1 + len;
  }
  return { data: data, warnings: warnings };
}
