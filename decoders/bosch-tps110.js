/*
 * Model:  TPS110 Parking Lot Sensor (PLS), firmware 0.29.x
 * Vendor: Bosch Connected Devices and Solutions GmbH
 * Written for Stadtpuls from the vendor's published payload description.
 * Doc:    "Parking Lot Sensor | PLS – Communication Interface – Technical Description" (rev.1 v0.29.4),
 *         https://iot-shop.de/wp-content/uploads/2019/04/parking-lot-sensor-communication-interface.pdf
 *
 * Uplinks (all multi-byte integers little endian):
 *   port 1  parking status   byte 0 bit 0 = occupied
 *   port 2  heartbeat        byte 0 bit 0 = occupied, optional byte 1 = temperature (int8, °C)
 *   port 3  start-up         3 x 4-byte debug entries (code = low 12 bits of the first 16 bits, 0 = none),
 *                            firmware major/minor/patch, reset cause, parking status (17 bytes)
 *   port 4  device information (raw)   port 5  device usage (raw)
 *   port 6  debug            u32 timestamp, 12-bit debug code, 2 reserved bytes, u16 sequence number
 */

var TPS110_RESET_CAUSES = {
  1: 'watchdog',
  2: 'power on',
  3: 'system request',
  4: 'other',
};

function tps110Hex(bytes) {
  var s = '';
  for (var i = 0; i < bytes.length; i++) {
    s += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
  }
  return s;
}

function tps110Int8(b) {
  return b > 127 ? b - 256 : b;
}

function tps110DebugCode(lo, hi) {
  return ((hi & 0x0f) << 8) | lo;
}

function decodeUplink(input) {
  var bytes = input && input.bytes;
  var port = input && input.fPort;
  if (!bytes || typeof bytes.length !== 'number') {
    return { errors: ['no payload bytes'] };
  }
  var data = {};

  switch (port) {
    case 1:
      if (bytes.length < 1) return { errors: ['parking status (port 1) needs 1 byte, got 0'] };
      data.type = 'parking status';
      data.occupied = (bytes[0] & 0x01) === 1;
      return { data: data };

    case 2:
      if (bytes.length < 1) return { errors: ['heartbeat (port 2) needs at least 1 byte, got 0'] };
      data.type = 'heartbeat';
      data.occupied = (bytes[0] & 0x01) === 1;
      if (bytes.length >= 2) data.temperature = tps110Int8(bytes[1]);
      return { data: data };

    case 3:
      if (bytes.length < 17) {
        return { errors: ['start-up message (port 3) needs 17 bytes, got ' + bytes.length] };
      }
      data.type = 'startup';
      data.debugCodes = [];
      for (var off = 0; off < 12; off += 4) {
        var code = tps110DebugCode(bytes[off], bytes[off + 1]);
        if (code !== 0) data.debugCodes.push(code);
      }
      data.firmwareVersion = bytes[12] + '.' + bytes[13] + '.' + bytes[14];
      data.resetCause = TPS110_RESET_CAUSES[bytes[15]] || 'unknown';
      data.occupied = (bytes[16] & 0x01) === 1;
      return { data: data };

    case 4:
      data.type = 'device information';
      data.raw = tps110Hex(bytes);
      return { data: data };

    case 5:
      data.type = 'device usage';
      data.raw = tps110Hex(bytes);
      return { data: data };

    case 6:
      if (bytes.length < 10) {
        return { errors: ['debug message (port 6) needs 10 bytes, got ' + bytes.length] };
      }
      data.type = 'debug';
      data.timestamp = (bytes[0] | (bytes[1] << 8) | (bytes[2] << 16)) + bytes[3] * 16777216;
      data.debugCode = tps110DebugCode(bytes[4], bytes[5]);
      data.sequenceNumber = bytes[8] | (bytes[9] << 8);
      return { data: data };

    default:
      return { errors: ['unknown fPort ' + port + ' (expected 1-6)'] };
  }
}
