/**
 * The first import of main.ts: with an OTLP endpoint configured (OTEL_EXPORTER_OTLP_ENDPOINT or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, settings.ts), starts OpenTelemetry before anything it
 * instruments (node:http, undici, pg) is required. Without one, nothing of OpenTelemetry is loaded:
 * telemetry/sdk.ts is required only here, and only then.
 *
 * `.env` is read first (as main.ts does again after this; variables already set win), so the OTEL_*
 * variables may be kept there too.
 */
import { loadDotEnv } from '../config/env';
import { tracesRequested } from './settings';

loadDotEnv();
if (tracesRequested(process.env)) {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('./sdk') as typeof import('./sdk')).startTelemetry();
  } catch (error) {
    console.error(
      `Failed to start OpenTelemetry: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    process.exit(1);
  }
}
