/*
 * EM300-CL Capacitive Liquid Level Sensor (LoRaWAN)
 * Vendor: Milesight
 * Written for Stadtpuls from the vendor's published payload description:
 *   Milesight EM300-CL payload table (https://github.com/Milesight-IoT/SensorDecoders/tree/main/em-series/em300-cl,
 *   README "Payload") and the EM300 series user guide, chapter "Communication Protocol".
 *
 * Uplink (fPort 85 by default): a sequence of  channel (1 byte) | type (1 byte) | data (N bytes),
 * multi-byte integers little endian.
 */

var EM300CL_LIQUID = { 0: 'uncalibrated', 1: 'full', 2: 'critical liquid level alert', 255: 'error' };
var EM300CL_LIQUID_ALARM = { 0: 'critical liquid level alarm release', 1: 'critical liquid level alarm' };
var EM300CL_CALIBRATION = { 0: 'failed', 1: 'success' };
var EM300CL_CLASS = { 0: 'Class A', 1: 'Class B', 2: 'Class C', 3: 'Class CtoB' };

function em300clLookup(table, value) {
  return Object.prototype.hasOwnProperty.call(table, value) ? table[value] : 'unknown';
}

function em300clHex(bytes) {
  var s = '';
  for (var i = 0; i < bytes.length; i++) {
    var h = (bytes[i] & 0xff).toString(16);
    s += h.length < 2 ? '0' + h : h;
  }
  return s;
}

// channel/type -> [data length, handler(bytes, offset, data)]
var EM300CL_ITEMS = {
  'ff01': [1, function (b, i, d) { d.ipso_version = 'v' + (b[i] >> 4) + '.' + (b[i] & 0x0f); }],
  'ff09': [2, function (b, i, d) { d.hardware_version = 'v' + b[i] + '.' + (b[i + 1] >> 4); }],
  'ff0a': [2, function (b, i, d) { d.firmware_version = 'v' + b[i] + '.' + b[i + 1].toString(16); }],
  'ffff': [2, function (b, i, d) { d.tsl_version = 'v' + b[i] + '.' + b[i + 1]; }],
  'ff16': [8, function (b, i, d) { d.sn = em300clHex(b.slice(i, i + 8)); }],
  'ff0f': [1, function (b, i, d) { d.lorawan_class = em300clLookup(EM300CL_CLASS, b[i]); }],
  'fffe': [1, function (b, i, d) { d.reset_event = b[i] === 1 ? 'reset' : 'normal'; }],
  'ff0b': [1, function (b, i, d) { d.device_status = b[i] === 0 ? 'off' : 'on'; }],
  '0175': [1, function (b, i, d) { d.battery = b[i]; }],
  '03ed': [1, function (b, i, d) { d.liquid = em300clLookup(EM300CL_LIQUID, b[i]); }],
  '04ee': [1, function (b, i, d) { d.calibration_result = em300clLookup(EM300CL_CALIBRATION, b[i]); }],
  '83ed': [2, function (b, i, d) {
    d.liquid = em300clLookup(EM300CL_LIQUID, b[i]);
    d.liquid_alarm = em300clLookup(EM300CL_LIQUID_ALARM, b[i + 1]);
  }]
};

function decodeUplink(input) {
  var b = input && input.bytes;
  if (!b || typeof b.length !== 'number') return { errors: ['no payload bytes'] };
  if (b.length < 2) return { errors: ['payload too short: ' + b.length + ' byte(s), need at least channel and type'] };
  var data = {};
  var warnings = [];
  var i = 0;
  while (i < b.length) {
    if (i + 2 > b.length) return { errors: ['truncated item at byte ' + i + ': channel without type'] };
    var key = em300clHex([b[i], b[i + 1]]);
    var item = EM300CL_ITEMS[key];
    if (!item) {
      warnings.push('unknown channel/type 0x' + key + ' at byte ' + i + ': rest of the payload ignored');
      break;
    }
    if (i + 2 + item[0] > b.length) {
      return { errors: ['truncated item 0x' + key + ' at byte ' + i + ': needs ' + item[0] + ' data byte(s), ' + (b.length - i - 2) + ' left'] };
    }
    item[1](b, i + 2, data);
    i += 2 + item[0];
  }
  if (i === 0) return { errors: ['unknown channel/type 0x' + em300clHex([b[0], b[1]]) + ': nothing decoded'] };
  return { data: data, warnings: warnings };
}

// Downlink (documented in the EM300 series user guide): set the reporting interval in seconds.
function encodeDownlink(input) {
  var d = (input && input.data) || {};
  var s = d.report_interval;
  if (typeof s !== 'number' || s !== Math.floor(s) || s < 1 || s > 65535) {
    return { errors: ['report_interval must be an integer number of seconds between 1 and 65535'] };
  }
  return { bytes: [0xff, 0x03, s & 0xff, (s >> 8) & 0xff], fPort: 85 };
}
