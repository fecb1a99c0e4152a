// The detail view's content: a stored image's record as a list of terms (a filterable value is a
// button) and, opened from a text search, why the image answers it. Builds DOM only: the
// detail's state and history live in app.js.

import { conditionLabel } from './terms.js';

/// Appends a term and its description (a node or a text) to the list `dl`.
function appendRow(dl, term, content) {
  const dt = document.createElement('dt');
  dt.textContent = term;
  const dd = document.createElement('dd');
  dd.append(content);
  dl.append(dt, dd);
}

function metaRow(dl, term, value, href) {
  if (value === undefined || value === null || value === '') return;
  if (!href) {
    appendRow(dl, term, value);
    return;
  }
  const a = document.createElement('a');
  a.href = href;
  a.rel = 'noreferrer noopener';
  a.target = '_blank';
  a.textContent = value;
  appendRow(dl, term, a);
}

/// A row whose value is a button that calls `onFilter(condition)`: keep only the results that
/// share the value.
function filterRow(dl, term, value, condition, onFilter) {
  if (value === undefined || value === null || value === '') return;
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'filter-by';
  button.textContent = value;
  button.title = `Only results with ${conditionLabel(condition)}`;
  button.addEventListener('click', () => onFilter(condition));
  appendRow(dl, term, button);
}

/// Fills `dl` with the rows of `record` (GET /api/images/ID): id, caption, source (a link when
/// it is a URL), size, date added, and the format and scalar manifest fields as filter buttons.
export function showRecord(dl, record, onFilter) {
  metaRow(dl, 'Id', String(record.id));
  metaRow(dl, 'Caption', record.caption);
  const isUrl = /^https?:\/\//i.test(record.source);
  metaRow(dl, 'Source', record.source, isUrl ? record.source : null);
  metaRow(dl, 'Size', `${record.width} × ${record.height} px`);
  if (record.added_unix_ms) metaRow(dl, 'Added', new Date(record.added_unix_ms).toLocaleString());
  filterRow(dl, 'Format', record.format, `format=${record.format}`, onFilter);
  for (const [key, value] of Object.entries(record.metadata || {})) {
    const scalar = ['string', 'number', 'boolean'].includes(typeof value);
    if (scalar) filterRow(dl, key, String(value), `field.${key}=${value}`, onFilter);
    else metaRow(dl, key, JSON.stringify(value));
  }
}

/// Shows why the image answers the text query (GET /api/images/ID/explain) in `view` ({box,
/// summary, words, keywords}): its relevance and score (and the word that gave it, when the
/// search also searched the query's words on their own), and each word of the query with a bar as
/// long as its influence (blue: draws the query to the image, red: away), in bold when the
/// image's caption holds it.
export function showExplanation(view, e) {
  const relevance = typeof e.relevance === 'number'
    ? `relevance ${Math.round(e.relevance * 100)} % · ` : '';
  const byWord = e.scored_by ? ` (from the word “${e.scored_by}” on its own)` : '';
  view.summary.textContent =
    `“${e.query.text}”: ${relevance}score ${e.score.toFixed(3)}${byWord}`;
  view.words.replaceChildren();
  const largest = Math.max(1e-6, ...e.words.map((w) => Math.abs(w.influence || 0)));
  for (const w of e.words) {
    const li = document.createElement('li');
    li.className = w.in_caption ? 'in-caption' : '';
    const word = document.createElement('span');
    word.textContent = w.word;
    li.append(word);
    if (typeof w.influence === 'number') {
      const bar = document.createElement('span');
      bar.className = `bar${w.influence < 0 ? ' negative' : ''}`;
      bar.style.width = `${Math.round(40 * Math.abs(w.influence) / largest)}px`;
      li.append(bar);
      li.title = `${w.influence >= 0 ? 'draws the query to' : 'draws the query away from'} ` +
        `this image (score ${w.influence >= 0 ? '+' : ''}${w.influence.toFixed(4)})` +
        (w.in_caption ? '; in its caption' : '');
    } else if (w.in_caption) {
      li.title = 'in its caption';
    }
    li.dataset.influence = String(w.influence ?? '');
    view.words.append(li);
  }
  const matches = e.keyword_matches || [];
  view.keywords.textContent = matches.length
    ? `Words found in its caption, tags or file name: ${matches.join(', ')}`
    : 'No word of the query is in its caption, tags or file name.';
  view.box.hidden = false;
}
