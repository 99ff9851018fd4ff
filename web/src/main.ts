import { createApp } from 'vue';
import App from './App.vue';
import { router } from './router';
import { i18n } from './i18n';
import { installElementPlus } from './plugins/element';
import './styles.css';

const app = createApp(App);
installElementPlus(app);
app.use(i18n);
app.use(router);
app.mount('#app');
