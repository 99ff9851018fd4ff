import { ref } from 'vue';

/** A page may set a specific title (e.g. the dataset name); App.vue resets it on navigation. */
export const pageTitle = ref<string | null>(null);
