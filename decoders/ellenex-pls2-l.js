/*
 * Ellenex PLS2-L — LoRaWAN submersible level transmitter for liquid media
 * Vendor: Ellenex Pty Ltd
 * Written for Stadtpuls from the vendor's published payload description:
 *   "Device Integration Guide (LoRaWAN)", Ellenex, ver. 4.8-08/20 (file "V4.12"),
 *   sections "Data payload format", "Conversion formula per sensor type" and "How to change device sampling rate".
 *
 * Uplinks arrive on fPort 15. Data packet, 8 bytes, big endian:
 *   0-1  last two bytes of the DevEUI (board serial)
 *   2    packet type: 0x00 = sensor reading
 *   3-4  level/pressure sensor output PPPP; PLS2-L: level [mm] = PPPP / liquid density
 *        (two's complement, so readings below the zero point are negative)
 *   5-6  temperature field (not fitted on the PLS2-L; ignored)
 *   7    battery voltage in tenths of a volt
 * Devices with the logging feature append further 8-byte records (16 … 48 bytes in total) whose first two
 * bytes carry the sequence number (frame counter) of the missed uplink instead of the DevEUI bytes.
 * Command echo (answer to a downlink on port 5), 6 bytes: serial (2), type (0x01 or 0x16), command (2), battery.
 * The liquid density defaults to 1 (water); set the device variable `liquidDensity` to change it.
 */

function ellenexS16(hi, lo) {
  var v = ((hi & 0xff) << 8) | (lo & 0xff);
  return v >= 0x8000 ? v - 0x10000 : v;
}

function ellenexHex(b) {
  var s = (b & 0xff).toString(16);
  return s.length < 2 ? '0' + s : s;
}

function ellenexDensity(input) {
  var vars = input && input.variables;
  if (vars && vars.liquidDensity !== undefined && vars.liquidDensity !== null && vars.liquidDensity !== '') {
    var d = parseFloat(vars.liquidDensity);
    if (isFinite(d) && d > 0) return d;
  }
  return 1;
}

function ellenexLevel(bytes, i, density) {
  var raw = ellenexS16(bytes[i + 3], bytes[i + 4]);
  return density === 1 ? raw : raw / density;
}

function decodeUplink(input) {
  var bytes = input && input.bytes;
  if (!bytes || typeof bytes.length !== 'number') {
    return { errors: ['no payload bytes'] };
  }
  if (input.fPort !== 15) {
    return { errors: ['unknown fPort ' + input.fPort + ': PLS2-L uplinks use fPort 15'] };
  }

  // Command echo: serial (2) + type + echoed command (2) + battery.
  if (bytes.length === 6) {
    if (bytes[2] !== 0x01 && bytes[2] !== 0x16) {
      return { errors: ['6-byte uplink with unknown packet type 0x' + ellenexHex(bytes[2])] };
    }
    return {
      data: {
        packetType: 'command echo',
        command: ellenexHex(bytes[3]) + ellenexHex(bytes[4]),
        batteryVoltage: (bytes[5] & 0xff) / 10
      }
    };
  }

  if (bytes.length < 8 || bytes.length % 8 !== 0 || bytes.length > 48) {
    return { errors: ['invalid payload length ' + bytes.length + ': a PLS2-L data uplink is 8 bytes (up to 48 with logged records)'] };
  }
  if (bytes[2] !== 0x00) {
    return { errors: ['unknown packet type 0x' + ellenexHex(bytes[2]) + ' in an 8-byte uplink (0x00 = sensor reading)'] };
  }

  var density = ellenexDensity(input);
  var data = {
    level: ellenexLevel(bytes, 0, density),
    batteryVoltage: (bytes[7] & 0xff) / 10
  };

  if (bytes.length > 8) {
    var logged = [];
    for (var i = 8; i < bytes.length; i += 8) {
      if (bytes[i + 2] !== 0x00) {
        return { errors: ['logged record at byte ' + i + ' has unknown packet type 0x' + ellenexHex(bytes[i + 2])] };
      }
      logged.push({
        sequence: ((bytes[i] & 0xff) << 8) | (bytes[i + 1] & 0xff),
        level: ellenexLevel(bytes, i, density),
        batteryVoltage: (bytes[i + 7] & 0xff) / 10
      });
    }
    data.logged = logged;
  }
  return { data: data };
}
