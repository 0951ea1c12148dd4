import { defineConfig } from 'vite';

/**
 * The web app: `vite build src/web` (npm run build) writes dist/web, which the platform serves at `/`.
 * Everything is bundled — no CDN, no external fonts — so the Content-Security-Policy stays at 'self'.
 * Leaflet and uPlot are split into chunks loaded only by the views that need them.
 */
export default defineConfig({
  root: '.',
  base: '/',
  publicDir: false,
  build: {
    outDir: '../../dist/web',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 400,
  },
  server: { proxy: { '/api': 'http://localhost:8080', '/socket.io': { target: 'ws://localhost:8080', ws: true } } },
});
