/*
 * IMST iOKE868 (iO881A) LoRaWAN optical smart meter reader — uplink decoder (LoRa Alliance TS013 codec API)
 * Vendor: IMST GmbH
 * Written for Stadtpuls from the vendor's published payload description
 * (IMST iOKE868 user manual / product documents, https://wireless-solutions.de/downloadfile/ioke868-documents/)
 * and the example uplinks of the device; OBIS codes per IEC 62056-61, unit codes per IEC 62056-62 (DLMS/COSEM).
 *
 * Layout as implemented:
 *   fPort 5  meter data: a sequence of fields [type:1][length:1][content:length]
 *     0x00 status        content: InfoByte, StatusByte
 *     0x01 device time   content: u32 BE unix seconds
 *     0x10 meter id      content: ASCII
 *     0x40 OBIS value with unit    content: GroupMask, OBIS groups (one byte per mask bit 7..2 = A..F), unit, scaler (s8),
 *                                   value (signed big-endian integer, rest of the field)
 *     0x41 OBIS value without unit content: GroupMask, OBIS groups, scaler (s8), value
 *     0x42 OBIS value as text      content: GroupMask, OBIS groups, ASCII text
 *   fPort 69 segmented meter data: one header byte, then fields as on port 5 (may be cut at segment borders)
 *   fPort 3  device status (little-endian): time, firmware, last sync time, reset counter, state flags, counters
 * Convenience fields (added only when present with an explicit unit): energy_import_Wh (1-x:1.8.0),
 * energy_export_Wh (1-x:2.8.0), power_W (1-x:16.7.0).
 * Interpretation of the status flag bits, of InfoByte values other than 0 and of the counter order on port 3 is
 * inferred from examples and marked as such below.
 */

function decodeUplink(input) {
  var bytes = input && input.bytes;
  var port = input && input.fPort;
  if (!bytes || typeof bytes.length !== 'number') return { errors: ['no payload bytes'] };
  if (port === 5) return ioke868MeterData(bytes, 0, false);
  if (port === 69) return ioke868MeterData(bytes, 1, true);
  if (port === 3) return ioke868Status(bytes);
  return { errors: ['unsupported fPort ' + port + ' (expected 3, 5 or 69)'] };
}

var IOKE868_UNITS = {
  1: 'a', 2: 'mo', 3: 'wk', 4: 'd', 5: 'h', 6: 'min', 7: 's', 8: '°', 9: '°C', 10: 'currency', 11: 'm', 12: 'm/s',
  13: 'm³', 14: 'm³', 15: 'm³/h', 16: 'm³/h', 17: 'm³/d', 18: 'm³/d', 19: 'l', 20: 'kg', 21: 'N', 22: 'Nm', 23: 'Pa',
  24: 'bar', 25: 'J', 26: 'J/h', 27: 'W', 28: 'VA', 29: 'var', 30: 'Wh', 31: 'VAh', 32: 'varh', 33: 'A', 34: 'C',
  35: 'V', 36: 'V/m', 37: 'F', 38: 'Ω', 39: 'Ωm²/m', 40: 'Wb', 41: 'T', 42: 'A/m', 43: 'H', 44: 'Hz', 45: '1/(Wh)',
  46: '1/(varh)', 47: '1/(VAh)', 48: 'V²h', 49: 'A²h', 50: 'kg/s', 51: 'S', 52: 'K', 53: '1/(V²h)', 54: '1/(A²h)',
  55: '1/m³', 56: '%', 57: 'Ah', 60: 'Wh/m³', 61: 'J/m³', 62: 'Mol %', 63: 'g/m³', 64: 'Pa s', 65: 'J/kg',
  70: 'dBm', 71: 'dBµV', 72: 'dB', 254: 'other', 255: 'count'
};

function ioke868Hex(bytes, start, end) {
  var parts = [];
  for (var i = start; i < end; i++) parts.push((bytes[i] < 16 ? '0' : '') + bytes[i].toString(16));
  return parts.join('-');
}

function ioke868Ascii(bytes, start, end) {
  var s = '';
  for (var i = start; i < end; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

function ioke868U32le(bytes, i) {
  return (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16)) + bytes[i + 3] * 16777216;
}

function ioke868U32be(bytes, i) {
  return bytes[i] * 16777216 + ((bytes[i + 1] << 16) | (bytes[i + 2] << 8) | bytes[i + 3]);
}

// Signed big-endian integer of any length (two's complement).
function ioke868Int(bytes, start, end) {
  var v = 0;
  for (var i = start; i < end; i++) v = v * 256 + bytes[i];
  if (end > start && bytes[start] >= 128) v -= Math.pow(2, 8 * (end - start));
  return v;
}

// RFC 1123 date string, as Date.prototype.toUTCString() prints it.
function ioke868TimeString(seconds) {
  var days = ['Thu', 'Fri', 'Sat', 'Sun', 'Mon', 'Tue', 'Wed'];
  var months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  var dayNo = Math.floor(seconds / 86400);
  var rem = seconds - dayNo * 86400;
  var wd = days[((dayNo % 7) + 7) % 7];
  // civil-from-days (proleptic Gregorian)
  var z = dayNo + 719468;
  var era = Math.floor(z / 146097);
  var doe = z - era * 146097;
  var yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  var doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  var mp = Math.floor((5 * doy + 2) / 153);
  var d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  var m = mp < 10 ? mp + 3 : mp - 9;
  var y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  var hh = Math.floor(rem / 3600);
  var mm = Math.floor((rem % 3600) / 60);
  var ss = rem % 60;
  function two(n) { return (n < 10 ? '0' : '') + n; }
  return wd + ', ' + two(d) + ' ' + months[m - 1] + ' ' + y + ' ' + two(hh) + ':' + two(mm) + ':' + two(ss) + ' GMT';
}

function ioke868Scale(raw, scaler) {
  if (scaler < 0) return raw / Math.pow(10, -scaler);
  return raw * Math.pow(10, scaler);
}

// Parses GroupMask + OBIS groups; returns {mask, id, groups, next} or null when too short.
function ioke868Obis(bytes, start, end) {
  if (start >= end) return null;
  var mask = bytes[start];
  var pos = start + 1;
  var groups = [];
  var parts = [];
  for (var bit = 7; bit >= 2; bit--) {
    if (mask & (1 << bit)) {
      if (pos >= end) return null;
      groups.push(bytes[pos]);
      parts.push(String(bytes[pos]));
      pos++;
    } else {
      groups.push(null);
      parts.push('');
    }
  }
  return { mask: mask, id: parts.join('_'), groups: groups, next: pos };
}

// Electricity totals (A = 1, E = 0, F = 255 or absent) with an explicit unit become top-level convenience fields.
function ioke868IsTotal(obis) {
  var g = obis.groups;
  return g[0] === 1 && g[4] === 0 && (g[5] === 255 || g[5] === null);
}

function ioke868Summary(data, obis, entry) {
  var c = obis.groups[2];
  var d = obis.groups[3];
  if (entry.unit === 'Wh' && c === 1 && d === 8) data.energy_import_Wh = entry.value;
  else if (entry.unit === 'Wh' && c === 2 && d === 8) data.energy_export_Wh = entry.value;
  else if (entry.unit === 'W' && c === 16 && d === 7) data.power_W = entry.value;
}

function ioke868MeterData(bytes, start, segmented) {
  if (bytes.length <= start) return { errors: ['payload too short: no meter data fields'] };
  var data = { OBIS_IDs: [], general_info: {} };
  var warnings = [];
  if (segmented) warnings.push('WARNING: decoding of segmented payload - values can be incorrect or incomplete');
  var pos = start;
  while (pos < bytes.length) {
    if (pos + 2 > bytes.length) {
      if (segmented) { warnings.push('incomplete field header at byte ' + pos + ' ignored'); break; }
      return { errors: ['truncated field header at byte ' + pos] };
    }
    var type = bytes[pos];
    var len = bytes[pos + 1];
    var s = pos + 2;
    var e = s + len;
    if (e > bytes.length) {
      if (segmented) { warnings.push('field 0x' + type.toString(16) + ' at byte ' + pos + ' is cut off, ignored'); break; }
      return { errors: ['field 0x' + type.toString(16) + ' at byte ' + pos + ' declares ' + len + ' bytes, only ' + (bytes.length - s) + ' left'] };
    }
    var info = data.general_info;
    if (type === 0x00) {
      if (len < 2) return { errors: ['status field too short'] };
      info.InfoByte = bytes[s];
      info.StatusByte = bytes[s + 1];
      if (bytes[s] === 0) {
        // InfoByte 0: meter not (yet) identified. Other values are not interpreted here (documented only by example).
        info.MeterType = 'unknown';
        info.InputType = 'unknown protocol';
        info.InfraredInputStatus = 'no input';
      }
    } else if (type === 0x01) {
      if (len < 4) return { errors: ['time field too short'] };
      info.Time = ioke868TimeString(ioke868U32be(bytes, s));
      info.Time_Origin = 'device time';
    } else if (type === 0x10) {
      info.MeterID = ioke868Hex(bytes, s, e) + ' ( ' + ioke868Ascii(bytes, s, e) + ' )';
    } else if (type === 0x40 || type === 0x41 || type === 0x42) {
      var obis = ioke868Obis(bytes, s, e);
      if (!obis) return { errors: ['OBIS field at byte ' + pos + ' too short'] };
      var p = obis.next;
      var entry = { GroupMask: obis.mask, OBIS_ID: obis.id };
      if (type === 0x42) {
        entry.rawValue = ioke868Hex(bytes, p, e);
        entry.stringValue = ioke868Ascii(bytes, p, e);
        entry.value = parseFloat(entry.stringValue);
      } else {
        if (type === 0x40) {
          if (p >= e) return { errors: ['OBIS field at byte ' + pos + ' has no unit'] };
          var unitCode = bytes[p++];
          entry.unit = IOKE868_UNITS[unitCode] !== undefined ? IOKE868_UNITS[unitCode] : 'unit code ' + unitCode;
        }
        if (p >= e) return { errors: ['OBIS field at byte ' + pos + ' has no scaler/value'] };
        var scaler = bytes[p] > 127 ? bytes[p] - 256 : bytes[p];
        p++;
        if (p >= e) return { errors: ['OBIS field at byte ' + pos + ' has no value'] };
        entry.Scaler = scaler;
        entry.rawValue = ioke868Int(bytes, p, e);
        entry.value = ioke868Scale(entry.rawValue, scaler);
        if (type === 0x40 && ioke868IsTotal(obis)) ioke868Summary(data, obis, entry);
      }
      data.OBIS_IDs.push(entry);
    } else {
      warnings.push('unknown field type 0x' + type.toString(16) + ' (' + len + ' bytes) skipped');
    }
    pos = e;
  }
  var out = { data: data };
  if (warnings.length) out.warnings = warnings;
  return out;
}

function ioke868Status(bytes) {
  if (bytes.length < 28) return { errors: ['status message too short: ' + bytes.length + ' bytes, expected 28'] };
  var flags = bytes[14];
  // Flag bit assignment inferred from example data (not confirmed by a published table).
  return {
    data: {
      Status_Time: ioke868TimeString(ioke868U32le(bytes, 0)),
      Status_Firmware_Version: bytes[5] + '.' + bytes[4],
      Status_Last_Sync_Time: ioke868TimeString(ioke868U32le(bytes, 6)),
      Status_Reset_Counter: ioke868U32le(bytes, 10),
      Status_System_Time_State: flags & 0x01 ? 'synchronized' : 'not synchronized',
      Status_LoRaWAN_Activation_State: flags & 0x02 ? 'activated' : 'not activated',
      Status_LoRaWAN_Configuration_State: flags & 0x04 ? 'available' : 'not available',
      Status_Network_Time_State: flags & 0x08 ? 'synchronized' : 'not synchronized',
      Status_OBIS_ID_Filter_List_State: flags & 0x10 ? 'empty' : 'contains at least one item',
      Status_Calendar_Event_List_State: flags & 0x20 ? 'contains at least one item' : 'empty',
      Status_Correct_Received_Meter_Files_Counter: ioke868U32le(bytes, 16),
      Status_Incorrect_Received_Meter_Files_Counter: ioke868U32le(bytes, 20),
      Status_Uploaded_Meter_Data_Messages_Counter: ioke868U32le(bytes, 24)
    }
  };
}
