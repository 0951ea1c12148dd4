import { benchCallOverhead, benchDecoders, printDecoders } from './decoders.js';
import { benchIngest } from './ingest.js';

// `npm run bench` — figures are printed, never asserted: targets live here, not in timed tests.
const only = process.argv[2];
if (!only || only === 'decoders') printDecoders(await benchDecoders(), await benchCallOverhead());
if (!only || only === 'ingest') await benchIngest();
