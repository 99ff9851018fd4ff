// Copying text for the reader (tokens, curl examples): the Clipboard API, or the old execCommand on a selected
// element where that API is missing (plain http on another host).

/** Copies `text`; `fallback` is an input or element holding it, selected for execCommand. True when copied. */
export async function copyText(text: string, fallback?: HTMLElement | null): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (!fallback || typeof document.execCommand !== 'function') return false;
    if (fallback instanceof HTMLInputElement || fallback instanceof HTMLTextAreaElement) {
      fallback.select();
    } else {
      const range = document.createRange();
      range.selectNodeContents(fallback);
      const sel = window.getSelection();
      sel?.removeAllRanges();
      sel?.addRange(range);
    }
    return document.execCommand('copy');
  }
}
