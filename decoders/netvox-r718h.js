/*
 * Netvox R718H wireless pulse counter interface — uplink decoder and downlink encoder (LoRa Alliance TS013 codec API)
 * Vendor: Netvox Technology
 * Written for Stadtpuls from the vendor's published payload description
 * (Netvox R718H User Manual, sections "Data Report" / "Example of ReportDataCmd" / "Example of ConfigureCmd",
 *  and the Netvox LoRaWAN Application Command document; device type 0x1F = R718H).
 *
 * fPort 6 (ReportDataCmd), 11 bytes: Version(1) DeviceType(1) ReportType(1) NetvoxPayLoadData(8)
 *   ReportType 0x00 startup version: SoftwareVersion(1, x0.1) HardwareVersion(1) DateCode(4, BCD yyyymmdd) reserved
 *   ReportType 0x01 status:          Battery(1, 0.1 V, bit 7 = low-battery flag) PulseCount(2, big-endian) reserved
 * fPort 7 (ConfigureCmd responses), 11 bytes: CmdID(1) DeviceType(1) NetvoxPayLoadData(9)
 *   0x81 ConfigReportRsp Status | 0x82 ReadConfigReportRsp MinTime(2 s) MaxTime(2 s) BatteryChange(1, 0.1 V)
 *   0x83 SetFiltertimeRsp Status | 0x84 GetFiltertimeRsp FilterTime(1, unit 5 ms)
 *   0x85 SetPulseCounterClearModeRsp Status | 0x86 GetPulseCounterClearModeRsp Mode(1)
 * Note: by default the device clears its pulse counter after each report; clear mode 0x01 ("clear when roll-over")
 * makes PulseCount a cumulative 16-bit counter.
 */

var R718H_DEVICE_TYPE = 0x1f;

function decodeUplink(input) {
  var b = input && input.bytes;
  var port = input && input.fPort;
  if (!b || typeof b.length !== 'number') return { errors: ['no payload bytes'] };
  if (port !== 6 && port !== 7) return { errors: ['unsupported fPort ' + port + ' (expected 6 or 7)'] };
  if (b.length < 11) return { errors: ['payload too short: ' + b.length + ' bytes, expected 11'] };
  if (b[1] !== R718H_DEVICE_TYPE) return { errors: ['device type 0x' + r718hHex(b[1]) + ' is not an R718H (0x1f)'] };
  return port === 6 ? r718hReport(b) : r718hConfig(b);
}

function r718hHex(v) {
  return (v < 16 ? '0' : '') + v.toString(16);
}

function r718hReport(b) {
  var data = { Device: 'R718H' };
  if (b[2] === 0x00) {
    data.SWver = b[3] / 10;
    data.HWver = b[4];
    data.Datecode = r718hHex(b[5]) + r718hHex(b[6]) + r718hHex(b[7]) + r718hHex(b[8]);
    return { data: data };
  }
  if (b[2] === 0x01) {
    if (b[3] & 0x80) data.LowBattery = true;
    data.Volt = (b[3] & 0x7f) / 10;
    data.PulseCount = (b[4] << 8) | b[5];
    return { data: data };
  }
  return { errors: ['unknown report type 0x' + r718hHex(b[2])] };
}

function r718hStatus(v) {
  return v === 0 ? 'Success' : 'Failure';
}

function r718hConfig(b) {
  var data = { Device: 'R718H' };
  switch (b[0]) {
    case 0x81:
      data.Cmd = 'ConfigReportRsp';
      data.Status = r718hStatus(b[2]);
      break;
    case 0x82:
      data.Cmd = 'ReadConfigReportRsp';
      data.MinTime = (b[2] << 8) | b[3];
      data.MaxTime = (b[4] << 8) | b[5];
      data.BatteryChange = b[6] / 10;
      break;
    case 0x83:
      data.Cmd = 'SetFiltertimeRsp';
      data.Status = r718hStatus(b[2]);
      break;
    case 0x84:
      data.Cmd = 'GetFiltertimeRsp';
      data.FilterTime = b[2] * 5;
      break;
    case 0x85:
      data.Cmd = 'SetPulseCounterClearModeRsp';
      data.Status = r718hStatus(b[2]);
      break;
    case 0x86:
      data.Cmd = 'GetPulseCounterClearModeRsp';
      data.PulseCounterClearMode = b[2] === 1 ? 'Clear when Roll-Over' : b[2] === 0 ? 'Clear after Report' : 'unknown';
      break;
    default:
      return { errors: ['unknown command id 0x' + r718hHex(b[0])] };
  }
  return { data: data };
}

/*
 * Downlink (fPort 7). input.data: { Cmd: "ConfigReportReq", MinTime, MaxTime, BatteryChange }
 *   | { Cmd: "ReadConfigReportReq" } | { Cmd: "SetFiltertimeReq", FilterTime (ms, multiple of 5) }
 *   | { Cmd: "GetFiltertimeReq" } | { Cmd: "SetPulseCounterClearModeReq", PulseCounterClearMode: 0 | 1 }
 *   | { Cmd: "GetPulseCounterClearModeReq" }
 */
function encodeDownlink(input) {
  var d = (input && input.data) || {};
  var out = [0, R718H_DEVICE_TYPE, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  switch (d.Cmd) {
    case 'ConfigReportReq':
      out[0] = 0x01;
      out[2] = (d.MinTime >> 8) & 0xff; out[3] = d.MinTime & 0xff;
      out[4] = (d.MaxTime >> 8) & 0xff; out[5] = d.MaxTime & 0xff;
      out[6] = Math.round(d.BatteryChange * 10) & 0xff;
      break;
    case 'ReadConfigReportReq': out[0] = 0x02; break;
    case 'SetFiltertimeReq': out[0] = 0x03; out[2] = Math.round(d.FilterTime / 5) & 0xff; break;
    case 'GetFiltertimeReq': out[0] = 0x04; break;
    case 'SetPulseCounterClearModeReq': out[0] = 0x05; out[2] = d.PulseCounterClearMode ? 1 : 0; break;
    case 'GetPulseCounterClearModeReq': out[0] = 0x06; break;
    default:
      return { errors: ['unknown Cmd: ' + d.Cmd] };
  }
  if (out[0] === 0x01 && !(d.MinTime >= 1 && d.MinTime <= 65535 && d.MaxTime >= 1 && d.MaxTime <= 65535)) {
    return { errors: ['MinTime and MaxTime must be 1..65535 s'] };
  }
  return { bytes: out, fPort: 7 };
}
