/*
 * Dragino LT-22222-L (and LT-33222-L) LoRa I/O controller — uplink decoder (LoRa Alliance TS013 codec API)
 * Vendor: Dragino Technology
 * Written for Stadtpuls from the vendor's published payload description
 * (LT-22222-L LoRa I/O Controller User Manual, section 3.3 "Working Modes and Uplink Payload formats",
 *  https://wiki.dragino.com/xwiki/bin/view/Main/User%20Manual%20for%20LoRaWAN%20End%20Nodes/LT-22222-L/).
 * Test examples credited to chirpstack/lorawan-device-profiles (MIT, © 2024 Orne Brocaar).
 *
 * fPort 2, 11 bytes, big-endian. Byte 10: bits 7-6 hardware (1 = LT22222, 0 = LT33222), bits 5-0 working mode.
 *   MOD1 AVI1(2, mV) AVI2(2, mV) ACI1(2, µA) ACI2(2, µA) DIDORO(1) reserved(1) MOD(1)
 *   MOD2 COUNT1(4) COUNT2(4) DIDORO*(1) reserved MOD
 *   MOD3 COUNT1(4) ACI1(2) ACI2(2) DIDORO*(1) reserved MOD
 *   MOD4 COUNT1(4) AVI1 COUNT(4) DIDORO*(1) reserved MOD
 *   MOD5 AVI1(2) AVI2(2) ACI1(2) COUNT1(2) DIDORO*(1) reserved MOD
 *   MOD6 (trigger uplink) TRI_A FLAG(1) TRI_A STATUS(1) TRI_DI FLAG+STA(1) reserved ... MOD
 * DIDORO: bit7 RO1, bit6 RO2, bit5 DI3, bit4 DI2, bit3 DI1, bit2 DO3, bit1 DO2, bit0 DO1
 *   (RO: 1 = closed/ON; DI: 1 = high; DO is inverted: 1 = output low). DIDORO*: bit5 = FIRST (first uplink after join).
 */

function decodeUplink(input) {
  var b = input && input.bytes;
  var port = input && input.fPort;
  if (!b || typeof b.length !== 'number') return { errors: ['no payload bytes'] };
  if (port !== 2) return { errors: ['unsupported fPort ' + port + ' (expected 2)'] };
  if (b.length < 11) return { errors: ['payload too short: ' + b.length + ' bytes, expected 11'] };

  var hw = b[10] >> 6;
  var mode = b[10] & 0x3f;
  var lt33 = hw === 0;
  var flags = b[8];
  var data = {
    Hardware_mode: hw === 1 ? 'LT22222' : hw === 0 ? 'LT33222' : 'unknown',
    DO1_status: flags & 0x01 ? 'L' : 'H',
    DO2_status: flags & 0x02 ? 'L' : 'H',
    RO1_status: flags & 0x80 ? 'ON' : 'OFF',
    RO2_status: flags & 0x40 ? 'ON' : 'OFF'
  };
  if (lt33) data.DO3_status = flags & 0x04 ? 'L' : 'H';

  if (mode === 1) {
    data.Work_mode = '2ACI+2AVI';
    data.AVI1_V = ltU16(b, 0) / 1000;
    data.AVI2_V = ltU16(b, 2) / 1000;
    data.ACI1_mA = ltU16(b, 4) / 1000;
    data.ACI2_mA = ltU16(b, 6) / 1000;
    data.DI1_status = flags & 0x08 ? 'H' : 'L';
    data.DI2_status = flags & 0x10 ? 'H' : 'L';
    if (lt33) data.DI3_status = flags & 0x20 ? 'H' : 'L';
  } else if (mode >= 2 && mode <= 5) {
    data.First_status = flags & 0x20 ? 'Yes' : 'No';
    if (mode === 2) {
      data.Work_mode = 'Count mode 1';
      data.Count1_times = ltU32(b, 0);
      data.Count2_times = ltU32(b, 4);
    } else if (mode === 3) {
      data.Work_mode = '2ACI+1Count';
      data.Count1_times = ltU32(b, 0);
      data.ACI1_mA = ltU16(b, 4) / 1000;
      data.ACI2_mA = ltU16(b, 6) / 1000;
    } else if (mode === 4) {
      data.Work_mode = 'Count mode 2';
      data.Count1_times = ltU32(b, 0);
      data.Acount_times = ltU32(b, 4);
    } else {
      data.Work_mode = '1ACI+2AVI+1Count';
      data.AVI1_V = ltU16(b, 0) / 1000;
      data.AVI2_V = ltU16(b, 2) / 1000;
      data.ACI1_mA = ltU16(b, 4) / 1000;
      data.Count1_times = ltU16(b, 6);
    }
  } else if (mode === 6) {
    // Trigger uplink: bytes 3..9 are reserved, so no DO/RO states are reported.
    data = { Hardware_mode: data.Hardware_mode, Work_mode: 'Trigger mode' };
    data.TRI_A_flags = b[0];
    data.TRI_A_status = b[1];
    data.DI1_trigger = (b[2] & 0x01) === 0x01;
    data.DI1_status = b[2] & 0x02 ? 'H' : 'L';
    data.DI2_trigger = (b[2] & 0x04) === 0x04;
    data.DI2_status = b[2] & 0x08 ? 'H' : 'L';
  } else {
    return { errors: ['unknown working mode ' + mode] };
  }
  return { data: data };
}

function ltU16(b, i) {
  return (b[i] << 8) | b[i + 1];
}

function ltU32(b, i) {
  return b[i] * 16777216 + ((b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]);
}
