import deviceGrpc from '@chirpstack/chirpstack-api/api/device_grpc_pb.js';
import devicePb from '@chirpstack/chirpstack-api/api/device_pb.js';
import profileGrpc from '@chirpstack/chirpstack-api/api/device_profile_grpc_pb.js';
import profilePb from '@chirpstack/chirpstack-api/api/device_profile_pb.js';
import * as grpc from '@grpc/grpc-js';

/** A device as Stadtpuls registers it in ChirpStack (DeviceService.Create / Update). */
export interface ChirpStackDevice {
  readonly devEui: string;
  readonly name: string;
  readonly description: string;
  readonly applicationId: string;
  readonly deviceProfileId: string;
  /** Empty string: not set (ChirpStack stores 0000000000000000). */
  readonly joinEui: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** The calls the provisioner makes; `ChirpStackClient` implements them over gRPC. */
export interface ChirpStackApi {
  createDevice(device: ChirpStackDevice): Promise<void>;
  updateDevice(device: ChirpStackDevice): Promise<void>;
  deleteDevice(devEui: string): Promise<void>;
  /** LoRaWAN 1.0.x: the AppKey goes into `nwk_key`. */
  createKeys(devEui: string, appKey: string): Promise<void>;
  updateKeys(devEui: string, appKey: string): Promise<void>;
  listDeviceProfiles(search: string, tenantId: string | undefined): Promise<{ id: string; name: string }[]>;
  close(): void;
}

/** A failed ChirpStack call: the gRPC status (e.g. UNAVAILABLE, ALREADY_EXISTS) and ChirpStack's message. */
export class ChirpStackError extends Error {
  constructor(
    readonly code: grpc.status,
    readonly details: string,
  ) {
    super(`${grpc.status[code] ?? code}: ${details}`);
    this.name = 'ChirpStackError';
  }

  get codeName(): string {
    return grpc.status[this.code] ?? String(this.code);
  }
}

export interface ChirpStackClientOptions {
  /** http://host:port (plaintext HTTP/2, ChirpStack's default) or https://host:port (TLS). */
  readonly url: string;
  readonly token: string;
  readonly timeoutMs: number;
}

type Callback<T> = (err: grpc.ServiceError | null, res?: T) => void;

/** The gRPC API of ChirpStack v4 (DeviceService, DeviceProfileService), promise-based, with the API key on every call. */
export class ChirpStackClient implements ChirpStackApi {
  private readonly devices: deviceGrpc.DeviceServiceClient;
  private readonly profiles: profileGrpc.DeviceProfileServiceClient;
  private readonly metadata: grpc.Metadata;

  constructor(private readonly options: ChirpStackClientOptions) {
    const url = new URL(options.url);
    const tls = url.protocol === 'https:';
    // `host` keeps IPv6 brackets; ChirpStack's own default port is 8080, but a URL without a port means 80/443.
    const target = url.port ? url.host : `${url.host}:${tls ? '443' : '80'}`;
    const credentials = tls ? grpc.credentials.createSsl() : grpc.credentials.createInsecure();
    this.devices = new deviceGrpc.DeviceServiceClient(target, credentials);
    this.profiles = new profileGrpc.DeviceProfileServiceClient(target, credentials);
    this.metadata = new grpc.Metadata();
    this.metadata.set('authorization', `Bearer ${options.token}`);
  }

  private unary<T>(invoke: (md: grpc.Metadata, opts: grpc.CallOptions, cb: Callback<T>) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      invoke(this.metadata, { deadline: Date.now() + this.options.timeoutMs }, (err, res) => {
        if (err) reject(new ChirpStackError(err.code, err.details || err.message));
        else resolve(res as T);
      });
    });
  }

  private static message(d: ChirpStackDevice): devicePb.Device {
    const device = new devicePb.Device();
    device.setDevEui(d.devEui);
    device.setName(d.name);
    device.setDescription(d.description);
    device.setApplicationId(d.applicationId);
    device.setDeviceProfileId(d.deviceProfileId);
    device.setJoinEui(d.joinEui);
    const tags = device.getTagsMap();
    for (const [k, v] of Object.entries(d.tags)) tags.set(k, v);
    return device;
  }

  async createDevice(d: ChirpStackDevice): Promise<void> {
    const req = new devicePb.CreateDeviceRequest();
    req.setDevice(ChirpStackClient.message(d));
    await this.unary((md, o, cb) => this.devices.create(req, md, o, cb));
  }

  async updateDevice(d: ChirpStackDevice): Promise<void> {
    const req = new devicePb.UpdateDeviceRequest();
    req.setDevice(ChirpStackClient.message(d));
    await this.unary((md, o, cb) => this.devices.update(req, md, o, cb));
  }

  async deleteDevice(devEui: string): Promise<void> {
    const req = new devicePb.DeleteDeviceRequest();
    req.setDevEui(devEui);
    await this.unary((md, o, cb) => this.devices.delete(req, md, o, cb));
  }

  private static keys(devEui: string, appKey: string): devicePb.DeviceKeys {
    const keys = new devicePb.DeviceKeys();
    keys.setDevEui(devEui);
    keys.setNwkKey(appKey);
    return keys;
  }

  async createKeys(devEui: string, appKey: string): Promise<void> {
    const req = new devicePb.CreateDeviceKeysRequest();
    req.setDeviceKeys(ChirpStackClient.keys(devEui, appKey));
    await this.unary((md, o, cb) => this.devices.createKeys(req, md, o, cb));
  }

  async updateKeys(devEui: string, appKey: string): Promise<void> {
    const req = new devicePb.UpdateDeviceKeysRequest();
    req.setDeviceKeys(ChirpStackClient.keys(devEui, appKey));
    await this.unary((md, o, cb) => this.devices.updateKeys(req, md, o, cb));
  }

  async listDeviceProfiles(search: string, tenantId: string | undefined): Promise<{ id: string; name: string }[]> {
    const req = new profilePb.ListDeviceProfilesRequest();
    req.setSearch(search);
    req.setLimit(100);
    if (tenantId) req.setTenantId(tenantId);
    const res = await this.unary<profilePb.ListDeviceProfilesResponse>((md, o, cb) => this.profiles.list(req, md, o, cb));
    return res.getResultList().map((p) => ({ id: p.getId(), name: p.getName() }));
  }

  close(): void {
    this.devices.close();
    this.profiles.close();
  }
}
