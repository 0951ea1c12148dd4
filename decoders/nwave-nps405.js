/*
 * Model:  NPS405 Smart Parking Sensor G4 (FM / SM)
 * Vendor: Nwave Technologies
 * Written for Stadtpuls from the vendor's published payload description.
 * Doc:    "Nwave LoRaWAN Parking Sensor - Getting Started", section 4 (application protocol),
 *         https://nwaveio.atlassian.net/wiki/spaces/ND/pages/1654784042/Nwave+LoRaWAN+Parking+Sensor+-+Getting+Started
 *
 * Uplinks:
 *   port 1   parking status   byte 0: bit 0 occupied, bits 7..1 compressed duration of the previous state (minutes)
 *   port 2   heartbeat        byte 0: bit 0 occupied, bits 7..1 hardware health (error mask, 0 = healthy);
 *                             byte 1: battery, mV = 2500 + 4 * value; byte 2: temperature, °C = int8 / 2 + 10
 *   port 3   startup          firmware major/minor/patch, reset cause, byte 4 bit 0 occupied
 *   port 6   debug            vendor diagnostic data (kept as hex)
 *   port 10  SDI tag registration: status byte as on port 1 (only valid when bit 0 is set), u32 tag id
 * Compressed duration c: c < 90 -> c min (exact); 90..119 -> 90 + 5 (c - 90) min (error up to 4);
 * 120..126 -> 240 + 60 (c - 120) min (error up to 59); 127 -> more than 10 h (overflow).
 */

var NPS405_RESET_CAUSES = {
  0: 'rejoining_lorawan_network',
  1: 'watchdog',
  2: 'power_on',
  3: 'user_request',
  6: 'brownout',
  7: 'other',
};

function nps405Hex(bytes) {
  var s = '';
  for (var i = 0; i < bytes.length; i++) {
    s += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
  }
  return s;
}

function nps405PreviousState(data, c) {
  if (c < 90) {
    data.previous_state_duration = c;
    data.previous_state_duration_error = 0;
    data.previous_state_duration_overflow = false;
  } else if (c < 120) {
    data.previous_state_duration = 90 + (c - 90) * 5;
    data.previous_state_duration_error = 4;
    data.previous_state_duration_overflow = false;
  } else if (c < 127) {
    data.previous_state_duration = 240 + (c - 120) * 60;
    data.previous_state_duration_error = 59;
    data.previous_state_duration_overflow = false;
  } else {
    data.previous_state_duration = 660;
    data.previous_state_duration_error = null;
    data.previous_state_duration_overflow = true;
  }
}

function nps405BatteryHealth(mv, temperature) {
  // Li-SOCl2 cell: thresholds are lower in the cold
  var low = temperature >= -5 ? 3000 : 2900;
  var critical = low - 100;
  if (mv >= low) return 'normal';
  if (mv >= critical) return 'low';
  return 'critical';
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
      data.type = 'parking_status';
      data.occupied = (bytes[0] & 0x01) === 1;
      nps405PreviousState(data, (bytes[0] >> 1) & 0x7f);
      return { data: data };

    case 2:
      if (bytes.length < 3) return { errors: ['heartbeat (port 2) needs at least 3 bytes, got ' + bytes.length] };
      data.type = 'heartbeat';
      data.occupied = (bytes[0] & 0x01) === 1;
      data.hw_health_status = (bytes[0] >> 1) & 0x7f;
      var mv = 2500 + bytes[1] * 4;
      data.battery_voltage = mv / 1000;
      data.temperature = (bytes[2] > 127 ? bytes[2] - 256 : bytes[2]) / 2 + 10;
      data.battery_health = nps405BatteryHealth(mv, data.temperature);
      return { data: data };

    case 3:
      if (bytes.length < 4) return { errors: ['startup (port 3) needs at least 4 bytes, got ' + bytes.length] };
      data.type = 'startup';
      data.firmware_version = bytes[0] + '.' + bytes[1] + '.' + bytes[2];
      data.reset_cause = NPS405_RESET_CAUSES[bytes[3]] || 'unknown';
      if (bytes.length >= 5) data.occupied = (bytes[4] & 0x01) === 1;
      return { data: data };

    case 6:
      data.type = 'debug';
      data.raw = nps405Hex(bytes);
      return { data: data };

    case 10:
      if (bytes.length < 5) return { errors: ['tag registration (port 10) needs 5 bytes, got ' + bytes.length] };
      data.type = 'user_registration';
      if (bytes[0] & 0x01) {
        data.occupied = true;
        nps405PreviousState(data, (bytes[0] >> 1) & 0x7f);
      } else {
        data.occupied = null;
        data.previous_state_duration = null;
        data.previous_state_duration_error = null;
        data.previous_state_duration_overflow = null;
      }
      data.tag_id = nps405Hex(bytes.slice(1, 5)).toUpperCase();
      return { data: data };

    default:
      return { errors: ['unknown fPort ' + port + ' (expected 1, 2, 3, 6 or 10)'] };
  }
}
