/*
 * Model:  R719A Wireless Surface-Mounted Parking Sensor
 * Vendor: Netvox Technology
 * Written for Stadtpuls from the vendor's published payload description.
 * Doc:    Netvox R719A user manual / datasheet (http://www.netvox.com.tw/product.asp?pro=R719A) and the
 *         Netvox LoRaWAN Application Command document (common 11-byte frame layout).
 *
 * Uplinks are 11 bytes:
 *   port 6  data report    [version, deviceType 0x59, reportType, payload(8)]
 *           reportType 0x00 startup/version: SW version (0.1), HW version, date code (4 bytes, BCD-like), reserved
 *           reportType 0x01 status: battery (bit 7 = low battery, bits 6..0 in 0.1 V), CarOnOff (0/1), reserved
 *   port 7  configuration responses [cmdId, deviceType, payload(9)]
 *           0x81 ConfigReportRsp: status (0x00 = success)
 *           0x82 ReadConfigReportRsp: MinTime (u16 s), MaxTime (u16 s), BatteryChange (0.1 V)
 * Downlinks (port 7): ConfigReportReq (0x01) and ReadConfigReportReq (0x02).
 */

var R719A_DEVICE_TYPE = 0x59;

function r719aHexByte(b) {
  return (b < 16 ? '0' : '') + b.toString(16);
}

function r719aU16(hi, lo) {
  return (hi << 8) | lo;
}

function decodeUplink(input) {
  var bytes = input && input.bytes;
  var port = input && input.fPort;
  if (!bytes || typeof bytes.length !== 'number') {
    return { errors: ['no payload bytes'] };
  }
  if (port !== 6 && port !== 7) {
    return { errors: ['unknown fPort ' + port + ' (expected 6 or 7)'] };
  }
  if (bytes.length < 11) {
    return { errors: ['Netvox frame needs 11 bytes, got ' + bytes.length] };
  }
  if (bytes[1] !== R719A_DEVICE_TYPE) {
    return { errors: ['device type 0x' + r719aHexByte(bytes[1]) + ' is not an R719A (0x59)'] };
  }
  var data = {};
  var warnings = [];

  if (port === 6) {
    data.Device = 'R719A';
    if (bytes[2] === 0x00) {
      data.SWver = bytes[3] / 10;
      data.HWver = bytes[4];
      data.Datecode = r719aHexByte(bytes[5]) + r719aHexByte(bytes[6]) + r719aHexByte(bytes[7]) + r719aHexByte(bytes[8]);
    } else if (bytes[2] === 0x01) {
      data.Volt = (bytes[3] & 0x7f) / 10;
      if (bytes[3] & 0x80) warnings.push('low battery');
      data.CarOnOff = bytes[4];
    } else {
      return { errors: ['unknown report type 0x' + r719aHexByte(bytes[2])] };
    }
  } else {
    if (bytes[0] === 0x81) {
      data.Cmd = 'ConfigReportRsp';
      data.Device = 'R719A';
      data.Status = bytes[2] === 0x00 ? 'Success' : 'Failure';
    } else if (bytes[0] === 0x82) {
      data.Cmd = 'ReadConfigReportRsp';
      data.Device = 'R719A';
      data.MinTime = r719aU16(bytes[2], bytes[3]);
      data.MaxTime = r719aU16(bytes[4], bytes[5]);
      data.BatteryChange = bytes[6] / 10;
    } else {
      return { errors: ['unknown command 0x' + r719aHexByte(bytes[0]) + ' on port 7'] };
    }
  }

  var result = { data: data };
  if (warnings.length) result.warnings = warnings;
  return result;
}

function encodeDownlink(input) {
  var d = (input && input.data) || {};
  if (d.Cmd === 'ConfigReportReq') {
    var min = d.MinTime;
    var max = d.MaxTime;
    var change = Math.round((d.BatteryChange === undefined ? 0.1 : d.BatteryChange) * 10);
    if (typeof min !== 'number' || typeof max !== 'number' || min < 1 || max < 1 || min > 65535 || max > 65535) {
      return { errors: ['MinTime and MaxTime must be numbers between 1 and 65535 seconds'] };
    }
    if (change < 1 || change > 255) {
      return { errors: ['BatteryChange must be between 0.1 and 25.5 V'] };
    }
    return {
      fPort: 7,
      bytes: [0x01, R719A_DEVICE_TYPE, (min >> 8) & 0xff, min & 0xff, (max >> 8) & 0xff, max & 0xff, change, 0, 0, 0, 0],
    };
  }
  if (d.Cmd === 'ReadConfigReportReq') {
    return { fPort: 7, bytes: [0x02, R719A_DEVICE_TYPE, 0, 0, 0, 0, 0, 0, 0, 0, 0] };
  }
  return { errors: ['unsupported Cmd (use ConfigReportReq or ReadConfigReportReq)'] };
}
