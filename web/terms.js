// Query arithmetic on the search page: the terms added to the query (stored images, "without …"
// texts), read from the URL, shown as removable chips, and sent as POST /api/search {"terms"}
// (docs/api.md). No state of its own: app.js holds it.

/// Terms added to the query (the server's default max-terms, 8, less the query itself).
export const MAX_ADDED = 7;
/// The weight of a "without …" text; an added image weighs 1, as the query does.
export const WITHOUT_WEIGHT = -0.5;

/// The added terms of a URL's parameters: ?with=ID and ?without=TEXT, repeatable.
export function addedFromUrl(params) {
  const withIds = params.getAll('with').filter((v) => /^\d+$/.test(v)).slice(0, MAX_ADDED);
  const without = params.getAll('without').map((v) => v.trim()).filter(Boolean);
  return { with: withIds, without: without.slice(0, MAX_ADDED - withIds.length) };
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
  list.hidden = added.with.length + added.without.length === 0;
}
