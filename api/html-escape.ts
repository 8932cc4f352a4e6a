/** Text and attribute values into the HTML the doors render (the repository's pages, the vetting queue). */
export const escapeHtml = (v: unknown): string =>
  String(v ?? '').replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
