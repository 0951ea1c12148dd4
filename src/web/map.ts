/**
 * Maps with Leaflet. Bays are circle markers (vector: they need no tiles), so the map stays usable over its plain
 * background when the tile server cannot be reached (no internet, WEB_TILE_URL=none); a note says so.
 */
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import type { BayState } from '../live/events.js';
import { appConfig } from './config.js';
import { h } from './dom.js';
import { t } from './i18n/index.js';
import { PALETTE } from './palette.js';

/** Germany, when there is nothing to centre on. */
const FALLBACK_CENTER: L.LatLngTuple = [51.1657, 10.4515];

function baseMap(el: HTMLElement, center: L.LatLngTuple, zoom: number): L.Map {
  const map = L.map(el, { center, zoom, zoomControl: true, attributionControl: true, keyboard: true });
  map.attributionControl.setPrefix(false);
  const cfg = appConfig();
  const note = h('p', { class: 'map-note', role: 'note', hidden: true }, t('map.noTiles'));
  el.appendChild(note);
  if (cfg.tileUrl) {
    let failed = 0;
    let loaded = 0;
    const layer = L.tileLayer(cfg.tileUrl, { attribution: cfg.tileAttribution, maxZoom: 19, crossOrigin: false });
    layer.on('tileerror', () => {
      failed++;
      if (loaded === 0 && failed >= 1) note.hidden = false;
    });
    layer.on('tileload', () => {
      loaded++;
      note.hidden = true;
    });
    layer.addTo(map);
  } else {
    note.hidden = false;
  }
  return map;
}

export const bayColor = (state: BayState['state']): string => (state === 'free' ? PALETTE.free : state === 'occupied' ? PALETTE.occupied : PALETTE.stale);

export interface BayMap {
  update(bays: Iterable<BayState>): void;
  fit(): void;
  destroy(): void;
}

/** A map of parking bays: circle markers coloured free / occupied / unknown, with a tooltip each. */
export function bayMap(el: HTMLElement, label: (b: BayState) => string): BayMap {
  const map = baseMap(el, FALLBACK_CENTER, 6);
  const markers = new Map<string, L.CircleMarker>();
  const tooltip = (b: BayState) => h('span', null, label(b));
  return {
    update(bays) {
      for (const b of bays) {
        if (b.lat === undefined || b.lon === undefined) continue;
        const color = bayColor(b.state);
        let m = markers.get(b.devEui);
        if (!m) {
          m = L.circleMarker([b.lat, b.lon], { radius: 5.5, color: '#ffffff', weight: 1.5, fillColor: color, fillOpacity: 1, className: 'bay-marker' });
          m.bindTooltip(tooltip(b));
          m.addTo(map);
          markers.set(b.devEui, m);
        } else {
          m.setLatLng([b.lat, b.lon]);
          m.setStyle({ fillColor: color });
          m.setTooltipContent(tooltip(b));
        }
        const path = m.getElement();
        if (path) {
          path.setAttribute('data-dev-eui', b.devEui);
          path.setAttribute('data-state', b.state);
        }
      }
    },
    fit() {
      const points = [...markers.values()].map((m) => m.getLatLng());
      if (points.length > 0) map.fitBounds(L.latLngBounds(points), { padding: [24, 24], maxZoom: 18, animate: false });
    },
    destroy() {
      map.remove();
    },
  };
}

export interface PinMap {
  set(lat: number | undefined, lon: number | undefined): void;
  destroy(): void;
}

/** A map to place a device: a click sets the position (6 decimals, about 0.1 m). */
export function pinMap(el: HTMLElement, initial: { lat?: number; lon?: number }, around: readonly [number, number][], onPick: (lat: number, lon: number) => void): PinMap {
  const has = initial.lat !== undefined && initial.lon !== undefined;
  const map = baseMap(el, has ? [initial.lat!, initial.lon!] : FALLBACK_CENTER, has ? 17 : 6);
  if (!has && around.length > 0) map.fitBounds(L.latLngBounds(around.map(([a, b]) => L.latLng(a, b))), { padding: [24, 24], maxZoom: 16, animate: false });
  for (const [a, b] of around) L.circleMarker([a, b], { radius: 4, color: PALETTE.stale, weight: 1, fillOpacity: 0.5, interactive: false }).addTo(map);
  let pin: L.CircleMarker | undefined;
  const place = (lat: number, lon: number) => {
    if (!pin) pin = L.circleMarker([lat, lon], { radius: 10, color: '#ffffff', weight: 3, fillColor: PALETTE.brand, fillOpacity: 1, className: 'pin-marker' }).addTo(map);
    else pin.setLatLng([lat, lon]);
  };
  if (has) place(initial.lat!, initial.lon!);
  map.on('click', (e: L.LeafletMouseEvent) => {
    const lat = Math.round(e.latlng.lat * 1e6) / 1e6;
    const lon = Math.round(e.latlng.lng * 1e6) / 1e6;
    place(lat, lon);
    onPick(lat, lon);
  });
  return {
    set(lat, lon) {
      if (lat === undefined || lon === undefined) {
        pin?.remove();
        pin = undefined;
        return;
      }
      place(lat, lon);
      map.panTo([lat, lon]);
    },
    destroy() {
      map.remove();
    },
  };
}
