/*
 * Develiot Remote Water Meter Reader (RWMR, RWMR XL) - LoRaWAN payload decoder (TS013)
 * Vendor: Develiot
 * Written for Stadtpuls from the vendor's published payload description.
 * Docs: Datasheet "Remote Water Meter Reader" v8.0 (June 2020) / XL v8.2 (July 2021),
 *       https://www.develiot.com/remote-water-meter-reader
 *
 * Status uplink, fPort 12, 11 bytes:
 *   byte 0      high nibble: firmware version, low nibble: enabled report services
 *               (bit 0 pulse counter 1, bit 1 pulse counter 2, bit 2 temperature)
 *   bytes 1-4   pulse counter 1, uint32 little endian
 *   bytes 5-8   pulse counter 2, uint32 little endian
 *   byte 9      battery voltage, 0..255 scaled linearly onto 0..3.3 V (2 decimals)
 *   byte 10     temperature, 0..255 scaled linearly onto -30..60 degC (2 decimals)
 */

var RWMR_SERVICES = [
  'LORASENSE_REPORT_SERVICE_PULSE_COUNTER1',
  'LORASENSE_REPORT_SERVICE_PULSE_COUNTER2',
  'LORASENSE_REPORT_SERVICE_TEMPERATURE'
];

function rwmrU32le(bytes, offset) {
  return bytes[offset] + bytes[offset + 1] * 256 + bytes[offset + 2] * 65536 + bytes[offset + 3] * 16777216;
}

// Linear scaling of a raw byte 0..255 onto [outMin, outMax], rounded to two decimals.
function rwmrScale(raw, outMin, outMax) {
  var value = (raw * (outMax - outMin)) / 255 + outMin;
  return parseFloat(value.toFixed(2));
}

function decodeUplink(input) {
  var bytes = input && input.bytes;
  if (input.fPort !== 12) {
    return { errors: ['Unknown port ' + input.fPort + ' (status uplinks use fPort 12)'] };
  }
  if (!bytes || bytes.length < 11) {
    return { errors: ['Payload too short: ' + (bytes ? bytes.length : 0) + ' bytes, expected 11'] };
  }
  var warnings = [];
  if (bytes.length > 11) {
    warnings.push('Ignored ' + (bytes.length - 11) + ' trailing bytes');
  }
  var services = [];
  for (var i = 0; i < RWMR_SERVICES.length; i++) {
    if ((bytes[0] >> i) & 1) services.push(RWMR_SERVICES[i]);
  }
  var data = {
    type: 'status',
    hardwareVersion: 8,
    firmwareVersion: bytes[0] >> 4,
    activatedServices: services,
    pulseCounter1: rwmrU32le(bytes, 1),
    pulseCounter2: rwmrU32le(bytes, 5),
    batteryLevel: rwmrScale(bytes[9], 0, 3.3),
    temperature: rwmrScale(bytes[10], -30, 60)
  };
  var result = { data: data };
  if (warnings.length) result.warnings = warnings;
  return result;
}
