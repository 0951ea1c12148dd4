/*
 * Dragino LDDS75 — LoRaWAN ultrasonic distance detection sensor
 * Vendor: Dragino Technology Co., Ltd.
 * Written for Stadtpuls from the vendor's published payload description:
 *   "LDDS75 - LoRaWAN Distance Detection Sensor User Manual", section 2.3 "Uplink Payload",
 *   http://wiki.dragino.com/xwiki/bin/view/Main/User%20Manual%20for%20LoRaWAN%20End%20Nodes/LDDS75%20-%20LoRaWAN%20Distance%20Detection%20Sensor%20User%20Manual/
 * Output field names follow the vendor's decoder so the MIT-licensed test vectors of
 * chirpstack/lorawan-device-profiles (© 2024 Orne Brocaar) apply unchanged.
 *
 * fPort 2, 8 bytes, big endian:
 *   0-1  BAT: battery voltage in mV (upper two bits reserved)
 *   2-3  distance in mm; 0 = no ultrasonic sensor detected, below 280 mm the reading is invalid
 *        (firmware >= 1.1.4 reports every invalid reading as 20 mm)
 *   4    interrupt flag (1 = uplink triggered by the interrupt pin)
 *   5-6  optional DS18B20 probe temperature, signed, 0.1 °C (0 when no probe is fitted)
 *   7    sensor flag (1 = ultrasonic sensor detected)
 */

function decodeUplink(input) {
  var bytes = input && input.bytes;
  if (!bytes || typeof bytes.length !== 'number') {
    return { errors: ['no payload bytes'] };
  }
  if (input.fPort !== 2) {
    return { errors: ['unknown FPort'] };
  }
  if (bytes.length < 8) {
    return { errors: ['payload too short: ' + bytes.length + ' byte(s), the LDDS75 uplink has 8'] };
  }

  var batteryMv = (((bytes[0] & 0xff) << 8) | (bytes[1] & 0xff)) & 0x3fff;
  var rawDistance = ((bytes[2] & 0xff) << 8) | (bytes[3] & 0xff);
  var rawTemp = ((bytes[5] & 0xff) << 8) | (bytes[6] & 0xff);
  if (rawTemp >= 0x8000) rawTemp -= 0x10000;

  var distance;
  if (rawDistance === 0) {
    distance = 'No Sensor';
  } else if (rawDistance < 280) {
    distance = 'Invalid Reading';
  } else {
    distance = rawDistance;
  }

  var result = {
    data: {
      Bat: batteryMv / 1000,
      Distance: distance,
      Interrupt_flag: bytes[4] & 0xff,
      TempC_DS18B20: (rawTemp / 10).toFixed(2),
      Sensor_flag: bytes[7] & 0xff
    }
  };
  if (bytes.length > 8) {
    result.warnings = [(bytes.length - 8) + ' trailing byte(s) ignored'];
  }
  return result;
}
