// Vite build of the dashboard's single-page app (src/client) into dist/.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  resolve: {
    alias: {
      // The 51 FLOW.md steps, shared with the services (a plain data module, no Node imports).
      '@strata/flow-steps': fileURLToPath(new URL('../../packages/lib/trace/src/flow-steps.ts', import.meta.url)),
    },
  },
  // noVNC uses top-level await.
  build: { target: 'es2022', chunkSizeWarningLimit: 800, reportCompressedSize: false },
});
