// Builds the browser SDK's single-script form (dist/sdk/browser/pushgate-client.global.js), for a
// plain <script> tag. The ES module form is what `nest build` compiles beside it.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/sdk/browser/global.ts'],
  outfile: 'dist/sdk/browser/pushgate-client.global.js',
  bundle: true,
  format: 'iife',
  target: 'es2020',
  legalComments: 'none',
  logLevel: 'warning',
});
