import { createApp } from 'vue';
import { ElMessage } from 'element-plus';
import App from './App.vue';
import { router } from './router';
import { i18n } from './i18n';
import { installElementPlus } from './plugins/element';
import { describeError, setSignInHandler } from './api/client';
import { clearSession } from './auth/session';
import './styles.css';

// A request that needs a signed-in person (401 AUTH_REQUIRED / SESSION_EXPIRED): forget the session and go to
// the sign-in page, coming back to this page afterwards.
setSignInHandler((err) => {
  clearSession();
  const here = router.currentRoute.value;
  if (here.name === 'login') return;
  ElMessage({ type: 'warning', message: describeError(err), grouping: true, showClose: true });
  void router.push({ name: 'login', query: { redirect: here.fullPath } });
});

const app = createApp(App);
installElementPlus(app);
app.use(i18n);
app.use(router);
app.mount('#app');
