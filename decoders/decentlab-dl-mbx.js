/*
 * Decentlab DL-MBX — ultrasonic distance / level sensor (MaxBotix sensor, LoRaWAN)
 * Vendor: Decentlab GmbH
 * Written for Stadtpuls from the vendor's published payload description:
 *   Decentlab "Decoding payload of Maxbotix LoRaWAN devices v2" (frame format version 2) and the
 *   DL-MBX datasheet, https://www.decentlab.com/products/ultrasonic-distance-/-level-sensor-for-lorawan
 *
 * Frame format version 2 (all integers unsigned 16 bit, big endian):
 *   u8  protocol version (= 2)
 *   u16 device id
 *   u16 flags: bit 0 = sensor 0 data present, bit 1 = sensor 1 data present, ...
 *   sensor 0 (2 words): distance [mm], number of valid samples (measurement trials)
 *   sensor 1 (1 word):  battery voltage [mV]
 * The port is not part of the format (the device sends on fPort 1).
 */

function decodeUplink(input) {
  var bytes = input && input.bytes;
  if (!bytes || typeof bytes.length !== 'number') {
    return { errors: ['no payload bytes'] };
  }
  if (bytes.length < 5) {
    return { errors: ['payload too short: ' + bytes.length + ' byte(s), the header needs 5'] };
  }
  var version = bytes[0];
  if (version !== 2) {
    return { errors: ['unsupported protocol version ' + version + ' (only version 2 is defined)'] };
  }

  var pos = 5;
  function word() {
    var w = ((bytes[pos] & 0xff) << 8) | (bytes[pos + 1] & 0xff);
    pos += 2;
    return w;
  }

  var deviceId = ((bytes[1] & 0xff) << 8) | (bytes[2] & 0xff);
  var flags = ((bytes[3] & 0xff) << 8) | (bytes[4] & 0xff);
  var needed = 5 + ((flags & 1) ? 4 : 0) + ((flags & 2) ? 2 : 0);
  if (bytes.length < needed) {
    return {
      errors: ['payload too short: flags 0x' + flags.toString(16) + ' announce ' + needed +
        ' byte(s), got ' + bytes.length]
    };
  }

  var data = { protocol_version: version, device_id: deviceId };
  var warnings = [];

  if (flags & 1) {
    var distance = word();
    var samples = word();
    data.distance = { displayName: 'Distance', unit: 'mm', value: distance };
    data.number_of_valid_samples = { displayName: 'Number of valid samples', value: samples };
  }
  if (flags & 2) {
    data.battery_voltage = { displayName: 'Battery voltage', unit: 'V', value: word() / 1000 };
  }
  if (flags & 0xfffc) {
    warnings.push('flags 0x' + flags.toString(16) + ' announce sensors this decoder does not know; ignored');
  } else if (bytes.length > needed) {
    warnings.push((bytes.length - needed) + ' trailing byte(s) ignored');
  }

  var result = { data: data };
  if (warnings.length) result.warnings = warnings;
  return result;
}
