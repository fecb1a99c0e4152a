// Query arithmetic and filters on the search page: the terms added to the query (stored images,
// "without …" texts) and the filter conditions, read from the URL, shown as removable chips, and
// sent as POST /api/search {"terms"} and `where` parameters (docs/api.md). No state of its own:
// app.js holds it.

/// Terms added to the query (the server's default max-terms, 8, less the query itself).
export const MAX_ADDED = 7;
/// The weight of a "without …" text; an added image weighs 1, as the query does.
export const WITHOUT_WEIGHT = -0.5;

/// Filter conditions a page holds at most.
export const MAX_FILTERS = 16;
/// The filter keys of the API other than manifest fields (`field.NAME`).
const FILTER_KEYS = ['root', 'source_prefix', 'added_after', 'added_before', 'min_width',
  'max_width', 'min_height', 'max_height', 'format'];

/// A filter condition as typed ("vendor=google", "format = png", "field.tags=cat") in the API's
/// KEY=VALUE form: a key that is not one of the API's own names a manifest field. Null without
/// "=" or with an empty side.
export function conditionOf(text) {
  const s = String(text || '');
  const eq = s.indexOf('=');
  if (eq < 0) return null;
  let key = s.slice(0, eq).trim();
  const value = s.slice(eq + 1).trim();
  if (!key || !value) return null;
  if (!FILTER_KEYS.includes(key) && !key.startsWith('field.')) key = `field.${key}`;
  return `${key}=${value}`;
}

/// A condition as a chip shows it: "vendor = google".
export function conditionLabel(condition) {
  const eq = condition.indexOf('=');
  return `${condition.slice(0, eq).replace(/^field\./, '')} = ${condition.slice(eq + 1)}`;
}

/// `path` with the filter conditions as `where` parameters.
export function withFilters(path, where) {
  if (where.length === 0) return path;
  const p = new URLSearchParams();
  for (const w of where) p.append('where', w);
  return `${path}${path.includes('?') ? '&' : '?'}${p}`;
}

/// The added terms and filters of a URL's parameters: ?with=ID, ?without=TEXT and
/// ?where=KEY=VALUE, repeatable.
export function addedFromUrl(params) {
  const withIds = params.getAll('with').filter((v) => /^\d+$/.test(v)).slice(0, MAX_ADDED);
  const without = params.getAll('without').map((v) => v.trim()).filter(Boolean);
  const where = [...new Set(params.getAll('where').map(conditionOf).filter(Boolean))];
  return { with: withIds, without: without.slice(0, MAX_ADDED - withIds.length),
           where: where.slice(0, MAX_FILTERS) };
}

/// The fetch() arguments of a combined search: the search on screen (`current`: a text, an
/// uploaded image or nothing) plus the added terms. An image goes as a multipart form whose
/// `terms` field names its part. `page`: {offset} or {after}; `k`, `collapse` as the page's.
export function termsRequest(current, added, { k, page, collapse }) {
  const terms = [];
  if (current.type === 'text') terms.push({ text: current.text, weight: 1 });
  if (current.type === 'image') terms.push({ image: 'image', weight: 1 });
  for (const id of added.with) terms.push({ id: Number(id), weight: 1 });
  for (const text of added.without) terms.push({ text, weight: WITHOUT_WEIGHT });
  if (current.type === 'image') {
    const form = new FormData();
    form.append('terms', JSON.stringify(terms));
    form.append('image', current.file, current.file.name || 'image');
    form.append('k', String(k));
    for (const [name, value] of Object.entries(page)) form.append(name, String(value));
    if (collapse) form.append('collapse', 'true');
    return { method: 'POST', body: form };
  }
  const body = { terms, k, ...page };
  if (collapse) body.collapse = true;
  return {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  };
}

/// Fills `list` with one chip per added term, each with a button that calls
/// onRemove(kind, value).
export function renderChips(list, added, onRemove) {
  list.replaceChildren();
  const chip = (kind, value, label) => {
    const li = document.createElement('li');
    li.className = `chip ${kind}`;
    if (kind === 'with') {
      const img = document.createElement('img');
      img.src = `/api/images/${value}/thumbnail`;
      img.alt = '';
      li.append(img);
    }
    const span = document.createElement('span');
    span.textContent = label;
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'chip-remove';
    remove.textContent = '×';
    remove.setAttribute('aria-label', `Remove ${label}`);
    remove.addEventListener('click', () => onRemove(kind, value));
    li.append(span, remove);
    list.append(li);
  };
  for (const id of added.with) chip('with', id, `+ image ${id}`);
  for (const text of added.without) chip('without', text, `without “${text}”`);
  for (const condition of added.where) chip('where', condition, `only ${conditionLabel(condition)}`);
  list.hidden = added.with.length + added.without.length + added.where.length === 0;
}
