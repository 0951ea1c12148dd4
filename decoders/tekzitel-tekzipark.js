/*
 * Model:  TEKZIPARK Radar Parking Sensor (LoRaWAN surface model), firmware 1.0
 * Vendor: TEKZITEL
 * Written for Stadtpuls from the vendor's published payload description.
 * Doc:    TEKZIPARK specification data sheet (https://tekzitel.com/prodspecs/TEKZIPARK-Specification_Data_Sheet_1_0_lorawan.pdf)
 *         and the payload description TEKZITEL published with its TTN device-repository entry (tekzitel/tekzipark).
 *
 * Uplinks:
 *   port 1  status   byte 0 flags: bit 7 occupied, bit 5 good battery, bit 4 obstruction, bit 3 radar detection,
 *                    bit 2 no beacon, bit 1 reset, bit 0 keep-alive (all reported as 0/1);
 *                    byte 1 temperature (int8, °C); byte 2 parking id;
 *                    optional: byte 3 beacon RSSI (int8, dBm), then u16 (big endian) BLE beacon ids
 *   port 2  debug    flags, temperature, parking id as on port 1, then deflection X/Y/Z and baseline X/Y/Z
 *                    (int8 each), fault code, obstruction value, radar reflection (12 bytes)
 */

function tekzInt8(b) {
  return b > 127 ? b - 256 : b;
}

function tekzFlags(data, b) {
  data.occupied = (b >> 7) & 1;
  data.keepAlive = b & 1;
  data.reset = (b >> 1) & 1;
  data.No_Beacon = (b >> 2) & 1;
  data.Radar = (b >> 3) & 1;
  data.Obstruction = (b >> 4) & 1;
  data.Good_Battery = (b >> 5) & 1;
}

function decodeUplink(input) {
  var bytes = input && input.bytes;
  var port = input && input.fPort;
  if (!bytes || typeof bytes.length !== 'number') {
    return { errors: ['no payload bytes'] };
  }
  var data = {};
  var warnings = [];

  if (port === 1) {
    if (bytes.length < 3) return { errors: ['status message (port 1) needs at least 3 bytes, got ' + bytes.length] };
    tekzFlags(data, bytes[0]);
    data.Temperature = tekzInt8(bytes[1]);
    data.Parking_ID = bytes[2];
    if (bytes.length > 3) {
      data.Beacon_RSSI = tekzInt8(bytes[3]);
      data.Beacons = [];
      for (var i = 4; i + 1 < bytes.length; i += 2) {
        data.Beacons.push((bytes[i] << 8) | bytes[i + 1]);
      }
      if ((bytes.length - 4) % 2 !== 0) warnings.push('ignored trailing odd byte in beacon list');
    }
  } else if (port === 2) {
    if (bytes.length < 12) return { errors: ['debug message (port 2) needs 12 bytes, got ' + bytes.length] };
    tekzFlags(data, bytes[0]);
    data.Temperature = tekzInt8(bytes[1]);
    data.Parking_ID = bytes[2];
    data.Deflection_X = tekzInt8(bytes[3]);
    data.Deflection_Y = tekzInt8(bytes[4]);
    data.Deflection_Z = tekzInt8(bytes[5]);
    data.Baseline_X = tekzInt8(bytes[6]);
    data.Baseline_Y = tekzInt8(bytes[7]);
    data.Baseline_Z = tekzInt8(bytes[8]);
    data.Fault_Code = bytes[9];
    data.Obstruction_Value = bytes[10];
    data.D_Reflection = bytes[11];
  } else {
    return { errors: ['unknown FPort'] };
  }

  var result = { data: data };
  if (warnings.length) result.warnings = warnings;
  return result;
}
