/*
 * Model:  NCC405 Smart Car Counter G4 (FM / SM)
 * Vendor: Nwave Technologies
 * Written for Stadtpuls from the vendor's published payload description.
 * Doc:    "Nwave LoRaWAN Car Counter - Getting Started", section 4 (application protocol),
 *         https://nwaveio.atlassian.net/wiki/spaces/ND/pages/2582282241/Nwave+LoRaWAN+Car+Counter-+Getting+Started
 *
 * Uplinks (big endian):
 *   port 1  counter update   u16 number of passed vehicles (wraps at 65536)
 *   port 2  heartbeat        byte 0 bits 6..0 hardware health (error mask, 0 = healthy),
 *                            byte 1 battery voltage (last), byte 2 battery voltage (24 h mean): mV = 2500 + 4 * value
 *   port 3  startup          firmware major/minor/patch, reset cause
 *   port 6  debug            vendor diagnostic data (kept as hex)
 */

var NCC405_RESET_CAUSES = {
  0: 'rejoining_lorawan_network',
  1: 'watchdog',
  2: 'power_on',
  3: 'user_request',
  6: 'brownout',
  7: 'other',
};

function ncc405Hex(bytes) {
  var s = '';
  for (var i = 0; i < bytes.length; i++) {
    s += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
  }
  return s;
}

function ncc405Volt(raw) {
  return (2500 + raw * 4) / 1000;
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
      if (bytes.length < 2) return { errors: ['counter update (port 1) needs 2 bytes, got ' + bytes.length] };
      data.type = 'counter_update';
      data.counter_value = (bytes[0] << 8) | bytes[1];
      return { data: data };

    case 2:
      if (bytes.length < 3) return { errors: ['heartbeat (port 2) needs 3 bytes, got ' + bytes.length] };
      data.type = 'heartbeat';
      data.hw_health_status = bytes[0] & 0x7f;
      data.battery_voltage = ncc405Volt(bytes[1]);
      data.battery_voltage_mean_24h = ncc405Volt(bytes[2]);
      return { data: data };

    case 3:
      if (bytes.length < 4) return { errors: ['startup (port 3) needs 4 bytes, got ' + bytes.length] };
      data.type = 'startup';
      data.firmware_version = bytes[0] + '.' + bytes[1] + '.' + bytes[2];
      data.reset_cause = NCC405_RESET_CAUSES[bytes[3]] || 'unknown';
      return { data: data };

    case 6:
      data.type = 'debug';
      data.raw = ncc405Hex(bytes);
      return { data: data };

    default:
      return { errors: ['unknown fPort ' + port + ' (expected 1, 2, 3 or 6)'] };
  }
}
