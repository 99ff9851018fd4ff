import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

const root = fileURLToPath(new URL('.', import.meta.url));

// Web shell for 数字厦门. Built into web/dist, which the Fastify server serves at `/`
// (SPA fallback to index.html for every non-/api path).
// `vite --config web/vite.config.ts` runs a dev server that proxies /api to a running
// server (XMCITY_API, default http://127.0.0.1:3000).
export default defineConfig({
  root,
  base: '/',
  plugins: [vue()],
  define: {
    __VUE_I18N_FULL_INSTALL__: 'true',
    __VUE_I18N_LEGACY_API__: 'false',
    __INTLIFY_PROD_DEVTOOLS__: 'false',
    __INTLIFY_DROP_MESSAGE_COMPILER__: 'false',
  },
  server: {
    proxy: {
      '/api': process.env.XMCITY_API ?? 'http://127.0.0.1:3000',
    },
  },
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 800,
    rolldownOptions: {
      output: {
        codeSplitting: {
          // Higher priority claims a module first; vue-echarts depends on vue, so vue must win.
          groups: [
            { name: 'vue', test: /node_modules[\\/](@vue|vue|vue-router|vue-i18n|@intlify)[\\/]/, priority: 30 },
            { name: 'element-plus', test: /node_modules[\\/](element-plus|@element-plus|@floating-ui|@popperjs|dayjs|lodash-es|lodash-unified|@vueuse|async-validator|memoize-one|normalize-wheel-es|@ctrl)[\\/]/, priority: 20 },
            { name: 'echarts', test: /node_modules[\\/](echarts|zrender|vue-echarts|tslib)[\\/]/, priority: 10 },
          ],
        },
      },
    },
  },
});
