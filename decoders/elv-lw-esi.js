/*
 * ELV-LW-ESI LoRaWAN Energy Sensing Interface (Energiezähler-Sensor-Schnittstelle) - payload decoder (TS013)
 * Vendor: ELV Elektronik AG
 * Written for Stadtpuls from the vendor's published payload description.
 * Docs: ELV-LW-ESI Bau- und Bedienungsanleitung ("Auswerten der Payload"), ELVshop download area,
 *       https://de.elv.com/ (article ELV-LW-ESI, 157439)
 *
 * Uplink on fPort 10:
 *   byte 0      frame header (0x03 = energy data frame)
 *   byte 1      TX reason (0 reserved, 1 timer event, 2 user button, 3 power event, 4 calibration)
 *   bytes 2-3   supply voltage in mV, uint16 big endian
 *   then one or more 13-byte energy data records:
 *     +0        record type 0x01 (energy data)
 *     +1        consumption type (1 consumption, 2 delivery)
 *     +2        energy counter unit (0 Wh, 1 kWh, 2 m^3)
 *     +3..+7    energy counter, uint40 little endian, 1/10000 of the counter unit
 *     +8        bits 0-1 power unit (0 W, 1 kW, 2 m^3/h), bit 2 sign of power (1 = negative)
 *     +9..+11   power (absolute value), uint24 little endian, 1/100 of the power unit
 *     +12       boot flag (bit 0: the energy counter has overflowed at least once)
 */

var ESI_TX_REASON = ['Reserved', 'Timer_Event', 'User_Button', 'Power_Event', 'Calibration'];
var ESI_CONSUMPTION_TYPE = ['Reserved', 'Consumption', 'Delivery'];
var ESI_COUNTER_UNIT = ['Wh', 'kWh', 'm^3'];
var ESI_POWER_UNIT = ['W', 'kW', 'm^3/h'];
var ESI_BOOT_FLAG = ['No_Overflow', 'Overflow'];
var ESI_SIGNUM = ['Positive', 'Negative'];
var ESI_RECORD_LENGTH = 13;

function esiName(table, index) {
  return index < table.length ? table[index] : 'Unknown_' + index;
}

function esiUintLE(bytes, offset, length) {
  var value = 0;
  var factor = 1;
  for (var i = 0; i < length; i++) {
    value += bytes[offset + i] * factor;
    factor *= 256;
  }
  return value;
}

function decodeUplink(input) {
  var bytes = input && input.bytes;
  if (input.fPort !== 10) {
    return { errors: ['Unknown port ' + input.fPort + ' (ELV-LW-ESI uplinks use fPort 10)'] };
  }
  if (!bytes || bytes.length < 4) {
    return { errors: ['Payload too short: ' + (bytes ? bytes.length : 0) + ' bytes, header needs 4'] };
  }
  if (bytes[0] !== 0x03) {
    return { errors: ['Unsupported frame header 0x' + ('0' + bytes[0].toString(16)).slice(-2) + ' (expected 0x03 energy data)'] };
  }
  var warnings = [];
  var data = {
    TX_Reason: esiName(ESI_TX_REASON, bytes[1]),
    Supply_Voltage: bytes[2] * 256 + bytes[3]
  };
  var energy = {
    Consumption_Type: [],
    Energy_Counter_Unit: [],
    Energy_Counter: [],
    Energy_Power_Unit: [],
    Signum_Of_Power: [],
    Power: [],
    Boot_Flag: []
  };
  var pos = 4;
  var records = 0;
  while (pos < bytes.length) {
    if (bytes[pos] !== 0x01) {
      warnings.push('Unknown record type 0x' + ('0' + bytes[pos].toString(16)).slice(-2) + ' at byte ' + pos + ', rest ignored');
      break;
    }
    if (pos + ESI_RECORD_LENGTH > bytes.length) {
      return { errors: ['Energy data record at byte ' + pos + ' is truncated (' + (bytes.length - pos) + ' of 13 bytes)'] };
    }
    var flags = bytes[pos + 8];
    energy.Consumption_Type.push(esiName(ESI_CONSUMPTION_TYPE, bytes[pos + 1]));
    energy.Energy_Counter_Unit.push(esiName(ESI_COUNTER_UNIT, bytes[pos + 2]));
    energy.Energy_Counter.push(esiUintLE(bytes, pos + 3, 5) / 10000);
    energy.Energy_Power_Unit.push(esiName(ESI_POWER_UNIT, flags & 0x03));
    energy.Signum_Of_Power.push(ESI_SIGNUM[(flags >> 2) & 0x01]);
    energy.Power.push(esiUintLE(bytes, pos + 9, 3) / 100);
    energy.Boot_Flag.push(ESI_BOOT_FLAG[bytes[pos + 12] & 0x01]);
    pos += ESI_RECORD_LENGTH;
    records++;
  }
  if (records > 0) {
    data.Energy_Data = energy;
  } else {
    warnings.push('No energy data record in this uplink');
  }
  var result = { data: data };
  if (warnings.length) result.warnings = warnings;
  return result;
}
