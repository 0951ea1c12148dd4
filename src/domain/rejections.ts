/**
 * The closed set of reasons a message (or part of it) is rejected. The reason is the log field and the
 * `reason` label of `stadtpuls_rejections_total`; the README lists them (a test keeps both in step).
 */
export const REJECTION_REASONS = {
  oversized: 'The MQTT message is larger than MQTT_MAX_MESSAGE_BYTES.',
  unexpected_topic: 'The topic matches no ChirpStack or The Things Stack event topic.',
  malformed_json: 'The payload starts like JSON but does not parse.',
  malformed_protobuf: 'The payload is not a valid ChirpStack v4 protobuf message for the topic\'s event.',
  unsupported_format: 'Valid JSON, but not a ChirpStack v4/v3 or The Things Stack event.',
  invalid_event: 'A required field is missing or has the wrong type (e.g. a DevEUI that is not 16 hex digits).',
  bad_base64: 'The payload `data` / `frm_payload` is not valid base64.',
  unknown_device: 'The DevEUI is not registered and no `model` tag or device-profile name names a catalog model. The link point is still written.',
  no_decoder: 'The model has no decoder and the network server sent no decoded `object`. The link point is still written.',
  decoder_error: 'The decoder threw, returned `errors`, or ran out of memory. The link point and a `decoder_error` event are still written.',
  decoder_timeout: 'The decoder did not return within DECODER_TIMEOUT_MS. The link point is still written.',
  decoder_invalid_output: 'The decoder returned no `data` object, or NaN, Infinity or a function in it. The link point is still written.',
  store_rejected: 'InfluxDB refused points as invalid (HTTP 400, e.g. a field type conflict); they are logged and not retried.',
} as const;

export type RejectionReason = keyof typeof REJECTION_REASONS;

export class Rejection {
  constructor(
    readonly reason: RejectionReason,
    readonly message: string,
  ) {}
}

export const isRejection = (value: unknown): value is Rejection => value instanceof Rejection;
