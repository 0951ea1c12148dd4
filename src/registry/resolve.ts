import type { DeviceInfo } from '../domain/events.js';
import { Rejection } from '../domain/rejections.js';
import type { Catalog, DeviceModel } from './catalog.js';
import type { Fleet, FleetDevice } from './fleet.js';

export interface ResolvedDevice {
  readonly devEui: string;
  readonly model: DeviceModel;
  /** The fleet record, when the device is registered with us (not only tagged in ChirpStack). */
  readonly registered?: FleetDevice;
  readonly name?: string;
  readonly site?: string;
}

/**
 * DevEUI → model. Our own fleet first; then, so ChirpStack-managed fleets work without registering twice,
 * a `model` tag (ChirpStack device/profile/application tag or TTS attribute), the device-profile name, and the
 * TTS `version_ids`, each only when it names a catalog model.
 */
export function resolveDevice(catalog: Catalog, fleet: Fleet, info: DeviceInfo): ResolvedDevice | Rejection {
  const registered = fleet.get(info.devEui);
  if (registered) {
    const model = catalog.get(registered.model);
    if (!model) return new Rejection('unknown_device', `device ${info.devEui} is registered with model "${registered.model}", which is not in the catalog`);
    return { devEui: info.devEui, model, registered, name: registered.name, site: registered.site };
  }
  const model =
    (info.tags.model !== undefined ? catalog.get(info.tags.model) : undefined) ??
    (info.deviceProfileName !== undefined ? catalog.get(info.deviceProfileName) : undefined) ??
    (info.repositoryId !== undefined ? catalog.byRepositoryId(info.repositoryId) : undefined);
  if (!model) {
    return new Rejection('unknown_device', `device ${info.devEui} is not registered and names no catalog model (tag "model", device-profile name or TTS version_ids)`);
  }
  const site = info.tags.site ?? info.tags.zone ?? info.tags.building;
  return { devEui: info.devEui, model, name: info.name, ...(site !== undefined ? { site } : {}) };
}
