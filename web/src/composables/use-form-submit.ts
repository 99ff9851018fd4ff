// Submitting a form: check it first, send it once at a time, and say what went wrong beside the form.
import { ref } from 'vue';
import { describeError } from '../api/client';

/**
 * `submit()` puts `check()`'s complaint in `problem` and stops there; otherwise, unless a send is already running,
 * it runs `send` with `busy` true. A failure's text goes to `problem` through `describe` (the error in the reader's
 * language by default); with `describe` null the failure is left to the client's message.
 */
export function useFormSubmit(check: () => string, send: () => Promise<void>, describe: ((err: unknown) => string) | null = describeError) {
  const busy = ref(false);
  const problem = ref('');

  async function submit() {
    problem.value = check();
    if (problem.value || busy.value) return;
    busy.value = true;
    try {
      await send();
    } catch (err) {
      if (describe) problem.value = describe(err);
    } finally {
      busy.value = false;
    }
  }

  return { busy, problem, submit };
}
