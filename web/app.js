// The qiss search page: text search as you type, search by image (drop, paste, file picker),
// paging (each "More" follows the answer's `next` cursor), grouping of near-duplicates, a detail
// view with similar images, and query arithmetic: stored images added to the query and
// "without …" texts taken away, and filter conditions (typed, or a field's value clicked in the
// detail), shown as removable chips; opened from a text search, the detail explains the result
// (each query word's influence, caption words, relevance). The URL holds the state (?q=TEXT,
// ?id=ID, ?collapse=1, ?with=ID, ?without=TEXT, ?where=KEY=VALUE, ?mode=semantic|keyword; a text
// is matched by meaning and words, hybrid, unless the mode says otherwise) so links can be shared and the
// back button works. With a calibrated model, the results whose relevance is below
// RELEVANCE_LINE are folded under a "relevance line" until asked for. Talks to the JSON API of
// docs/api.md.

import { api, labelOf } from './api.js';
import { showExplanation, showRecord } from './detail_view.js';
import { acceptImages } from './image_input.js';
import { describeLanguage, resultItem as resultItemOf } from './result_item.js';
import {
  MAX_ADDED, MAX_FILTERS, addedFromUrl, conditionOf, renderChips, termsRequest, withFilters,
} from './terms.js';

const PAGE_SIZE = 24;
const SIMILAR_K = 12;
const DEBOUNCE_MS = 300;
/// Results whose calibrated relevance (the answer's `relevance`) is below this are folded under
/// a line ("N more results below the relevance line") until the line is opened.
const RELEVANCE_LINE = 0.5;
/// The deepest offset a collapsed search pages to (it pages by offset; others follow `next`).
const MAX_OFFSET = 10000;

const $ = (id) => document.getElementById(id);
const els = {
  form: $('search-form'),
  q: $('q'),
  language: $('language'),
  dropZone: $('drop-zone'),
  file: $('file'),
  chooseFile: $('choose-file'),
  queryImage: $('query-image'),
  queryImageImg: $('query-image-img'),
  queryImageName: $('query-image-name'),
  status: $('status'),
  error: $('error'),
  results: $('results'),
  more: $('more'),
  detail: $('detail'),
  detailTitle: $('detail-title'),
  detailImg: $('detail-img'),
  detailMeta: $('detail-meta'),
  detailError: $('detail-error'),
  detailClose: $('detail-close'),
  similar: $('similar'),
  explain: $('explain'),
  explainSummary: $('explain-summary'),
  explainWords: $('explain-words'),
  explainKeywords: $('explain-keywords'),
  mode: $('mode'),
  collapse: $('collapse'),
  chips: $('chips'),
  withoutForm: $('without-form'),
  without: $('without'),
  filterForm: $('filter-form'),
  filter: $('filter'),
  addToQuery: $('add-to-query'),
  template: $('result-template'),
};

/// The search on screen: {type: 'text', text}, {type: 'image', file} or {type: 'none'} (only
/// added terms); its results so far.
let current = null;
/// Terms added to the query: stored image ids (`with`) and texts to leave out (`without`); and
/// the filter conditions (`where`, KEY=VALUE) the results must pass.
let added = { with: [], without: [], where: [] };
/// The image the detail shows, and what to do once the detail has closed and history is back.
let detailId = null;
let afterDetail = null;
let shown = 0;
/// The `next` cursor of the last page shown: "More" asks for the page after it.
let nextCursor = null;
/// The relevance line of the results on screen: its list item (null while no result is folded
/// under it), how many results are under it, whether they are shown, whether more pages follow,
/// and whether even the first result is below it (then nothing is folded: the closest results
/// are shown with a warning).
const line = { item: null, below: 0, open: false, full: false, allBelow: false };
let requestSeq = 0;
let controller = null;
let debounceTimer = 0;
/// The query of the history entry that typing refines, or null when the next typed search
/// starts a new entry (after Enter, Back, a click, an image search).
let typingEntry = null;
let queryImageUrl = null;

function showError(message) {
  els.error.textContent = message;
  els.error.hidden = !message;
}

function setStatus(text) {
  els.status.textContent = text;
}

// ---- URL and history ---------------------------------------------------------------------

function urlState() {
  const p = new URLSearchParams(location.search);
  const id = p.get('id');
  return { q: p.get('q') || '', id: id && /^\d+$/.test(id) ? id : null,
           collapse: p.get('collapse') === '1', added: addedFromUrl(p),
           mode: ['semantic', 'keyword'].includes(p.get('mode')) ? p.get('mode') : '' };
}

function urlFor({ q, id }) {
  const p = new URLSearchParams();
  if (q) p.set('q', q);
  for (const w of added.with) p.append('with', w);
  for (const w of added.without) p.append('without', w);
  for (const w of added.where) p.append('where', w);
  if (id) p.set('id', id);
  if (els.collapse.checked) p.set('collapse', '1');
  if (els.mode.value) p.set('mode', els.mode.value);
  const s = p.toString();
  return s ? `?${s}` : location.pathname;
}

function navigate(state, mode, depth = 0) {
  const url = urlFor(state);
  if (mode === 'push' && url !== (location.search || location.pathname)) {
    history.pushState({ depth }, '', url);
  } else {
    history.replaceState({ depth }, '', url);
  }
}

// ---- Results -----------------------------------------------------------------------------

function resultItem(hit) {
  const id = String(hit.id);
  return resultItemOf(els.template, hit, urlFor({ q: urlState().q, id }),
                      () => openDetail(id, 'push'));
}

function belowLine(hit) {
  return typeof hit.relevance === 'number' && hit.relevance < RELEVANCE_LINE;
}

/// Shows the relevance line's count.
function updateLine() {
  els.more.hidden = !line.full;
  if (!line.item) return;
  const button = line.item.querySelector('button');
  const more = line.full ? '+' : '';
  button.textContent = line.open
    ? `Below the relevance line: ${line.below}${more} result${line.below === 1 ? '' : 's'} ` +
      'that are less likely to match'
    : `${line.below}${more} more result${line.below === 1 && !more ? '' : 's'} below the ` +
      'relevance line';
  button.setAttribute('aria-expanded', String(line.open));
}

function openLine() {
  line.open = true;
  for (const el of els.results.querySelectorAll('.below-line')) el.hidden = false;
  updateLine();
}

function lineItem() {
  const li = document.createElement('li');
  li.className = 'relevance-line';
  const button = document.createElement('button');
  button.type = 'button';
  button.id = 'relevance-line';
  button.addEventListener('click', () => { if (!line.open) openLine(); });
  li.append(button);
  return li;
}

function render(answer, append) {
  if (!append) {
    els.results.replaceChildren();
    Object.assign(line, { item: null, below: 0, open: false,
                          allBelow: answer.results.length > 0 && belowLine(answer.results[0]) });
  }
  for (const hit of answer.results) {
    const li = resultItem(hit);
    if (!line.allBelow && belowLine(hit)) {
      if (!line.item) {
        line.item = lineItem();
        els.results.append(line.item);
      }
      line.below += 1;
      li.classList.add('below-line');
      li.hidden = !line.open;
    }
    els.results.append(li);
  }
  shown += answer.results.length;
  nextCursor = answer.next || null;
  if (current.type !== 'image') els.language.textContent = describeLanguage(answer.query);
  line.full = Boolean(nextCursor) ||
    (answer.results.length === PAGE_SIZE && shown + PAGE_SIZE <= MAX_OFFSET);
  updateLine();
  if (shown === 0) {
    setStatus(current.type === 'text' ? `No results for “${current.text}”.` : 'No results.');
  } else {
    const above = shown - line.below;
    setStatus(`${shown} result${shown === 1 ? '' : 's'}${line.full ? ' so far' : ''}` +
              (answer.filter_matches ? ` of ${answer.filter_matches} filtered images` : '') +
              (line.item ? `, ${above} above the relevance line` : '') +
              (line.allBelow ? ', none above the relevance line: unlikely matches' : '') +
              ` (${Math.round(answer.took_ms)} ms)`);
  }
}

function clearResults() {
  current = null;
  shown = 0;
  els.results.replaceChildren();
  els.more.hidden = true;
  els.language.textContent = '';
  setStatus('');
  showError('');
}

/// Where a page starts: after the last page's cursor when there is one (deep pages stay fast),
/// else at `offset`.
function pageStart(offset) {
  return offset > 0 && nextCursor ? { after: nextCursor } : { offset };
}

/// Runs the current search from `offset`; drops answers of searches replaced meanwhile.
async function runSearch(offset) {
  const seq = ++requestSeq;
  if (controller) controller.abort();
  controller = new AbortController();
  const signal = controller.signal;
  els.more.disabled = true;
  setStatus('Searching…');
  try {
    let answer;
    const start = pageStart(offset);
    if (hasAdded() || current.type === 'none') {
      const request = termsRequest(current, added,
        { k: PAGE_SIZE, page: start, collapse: els.collapse.checked });
      answer = await api(withFilters('/api/search', added.where), { ...request, signal });
    } else if (current.type === 'text') {
      const p = new URLSearchParams({ q: current.text, k: PAGE_SIZE, ...start });
      if (els.collapse.checked) p.set('collapse', 'true');
      if (els.mode.value) p.set('mode', els.mode.value);
      answer = await api(withFilters(`/api/search?${p}`, added.where), { signal });
    } else {
      const form = new FormData();
      form.append('image', current.file, current.file.name || 'image');
      form.append('k', String(PAGE_SIZE));
      for (const [name, value] of Object.entries(start)) form.append(name, String(value));
      if (els.collapse.checked) form.append('collapse', 'true');
      answer = await api(withFilters('/api/search', added.where),
        { method: 'POST', body: form, signal });
    }
    if (seq !== requestSeq) return;
    showError('');
    render(answer, offset > 0);
  } catch (e) {
    if (e.name === 'AbortError' || seq !== requestSeq) return;
    setStatus('');
    if (offset === 0) {
      els.results.replaceChildren();
      els.more.hidden = true;
      if (current.type === 'text') els.language.textContent = '';
    }
    showError(e.message);
  } finally {
    if (seq === requestSeq) els.more.disabled = false;
  }
}

function hasAdded() {
  return added.with.length + added.without.length > 0;
}

function showChips() {
  renderChips(els.chips, added, (kind, value) => changeAdded((a) => {
    a[kind] = a[kind].filter((v) => v !== value);
  }));
}

/// Changes the added terms, records them in a new history entry and runs the search again.
function changeAdded(change) {
  const next = { with: [...added.with], without: [...added.without], where: [...added.where] };
  change(next);
  if (next.with.length + next.without.length > MAX_ADDED) {
    showError(`At most ${MAX_ADDED} terms can be added to a query.`);
    return;
  }
  if (next.where.length > MAX_FILTERS) {
    showError(`At most ${MAX_FILTERS} filter conditions.`);
    return;
  }
  added = next;
  showChips();
  typingEntry = null;
  navigate({ q: urlState().q }, 'push');
  rerun();
}

/// Runs the search on screen again from the first result; with only added terms left, they
/// are the search.
function rerun() {
  if (!current || current.type === 'none') {
    if (!hasAdded()) {
      clearResults();
      return;
    }
    current = { type: 'none' };
  }
  shown = 0;
  runSearch(0);
}

/// True when `q` continues or corrects `entry` (one is a prefix of the other): typing then
/// updates that history entry; a different query gets an entry of its own, so Back returns to
/// the previous query however long the typing paused.
function refines(q, entry) {
  return entry !== null && (q.startsWith(entry) || entry.startsWith(q));
}

function searchText(text, mode) {
  const q = text.trim();
  hideQueryImage();
  if (!q) {
    clearResults();
    if (mode) navigate({ q: '' }, 'replace');
    if (hasAdded()) rerun();
    return;
  }
  if (current && current.type === 'text' && current.text === q && mode !== 'force') return;
  current = { type: 'text', text: q };
  shown = 0;
  if (mode === 'typing') {
    navigate({ q }, refines(q, typingEntry) ? 'replace' : 'push');
    typingEntry = q;
  } else if (mode === 'push') {
    navigate({ q }, 'push');
  }
  runSearch(0);
}

function hideQueryImage() {
  els.queryImage.hidden = true;
  if (queryImageUrl) URL.revokeObjectURL(queryImageUrl);
  queryImageUrl = null;
}

function searchImage(file) {
  if (!file) return;
  if (file.type && !file.type.startsWith('image/')) {
    showError(`${file.name} is not an image.`);
    return;
  }
  clearTimeout(debounceTimer);
  hideQueryImage();
  queryImageUrl = URL.createObjectURL(file);
  els.queryImageImg.src = queryImageUrl;
  els.queryImageName.textContent = file.name || 'pasted image';
  els.queryImage.hidden = false;
  els.q.value = '';
  els.language.textContent = `Searching by image: ${file.name || 'pasted image'}`;
  current = { type: 'image', file };
  shown = 0;
  typingEntry = null;
  navigate({ q: '' }, 'push');
  runSearch(0);
}

// ---- Detail ------------------------------------------------------------------------------

let detailSeq = 0;

async function openDetail(id, mode) {
  const seq = ++detailSeq;
  detailId = id;
  typingEntry = null;
  if (mode === 'push') {
    const depth = (history.state && history.state.depth) || 0;
    navigate({ q: urlState().q, id }, 'push', depth + 1);
  }
  els.detailTitle.textContent = `Image ${id}`;
  els.detailImg.src = `/api/images/${id}/thumbnail`;
  els.detailImg.alt = '';
  els.detailMeta.replaceChildren();
  els.similar.replaceChildren();
  els.detailError.hidden = true;
  els.explain.hidden = true;
  if (!els.detail.open) els.detail.showModal();
  // Opened from a text search: why this image answers it.
  const text = current && current.type === 'text' ? current.text : null;
  try {
    const [record, similar, explanation] = await Promise.all([
      api(`/api/images/${id}`),
      api(`/api/images/${id}/similar?k=${SIMILAR_K}`),
      text ? api(`/api/images/${id}/explain?${new URLSearchParams({ q: text })}`) : null,
    ]);
    if (seq !== detailSeq) return;
    if (explanation) {
      showExplanation({ box: els.explain, summary: els.explainSummary, words: els.explainWords,
                        keywords: els.explainKeywords }, explanation);
    }
    const label = labelOf(record);
    els.detailTitle.textContent = label;
    els.detailImg.alt = label;
    // A value clicked closes the detail, then keeps only the results that share it.
    showRecord(els.detailMeta, record, (condition) => {
      afterDetail = () => addFilter(condition);
      els.detail.close();
    });
    for (const hit of similar.results) els.similar.append(resultItem(hit));
    if (similar.results.length === 0) {
      const li = document.createElement('li');
      li.textContent = 'No similar images.';
      els.similar.append(li);
    }
  } catch (e) {
    if (seq !== detailSeq) return;
    els.detailError.textContent = e.message;
    els.detailError.hidden = false;
  }
}

/// Closes the detail and goes back to the entry before the first detail was opened; then runs
/// what waited for it (afterDetail).
function leaveDetail() {
  const depth = (history.state && history.state.depth) || 0;
  if (depth > 0) {
    history.go(-depth);  // popstate → applyUrl → runAfterDetail
  } else {
    navigate({ q: urlState().q }, 'replace');
    runAfterDetail();
  }
}

function runAfterDetail() {
  const f = afterDetail;
  afterDetail = null;
  if (f) f();
}

// ---- Events ------------------------------------------------------------------------------

function applyUrl() {
  const { q, id, collapse, mode, added: inUrl } = urlState();
  typingEntry = null;
  const addedChanged = JSON.stringify(inUrl) !== JSON.stringify(added);
  added = inUrl;
  showChips();
  if (els.collapse.checked !== collapse || els.mode.value !== mode || addedChanged) {
    els.collapse.checked = collapse;
    els.mode.value = mode;
    if (current || (!q && hasAdded())) rerun();
  }
  if (els.q.value.trim() !== q && !(current && current.type === 'image' && !q)) els.q.value = q;
  if (q) {
    searchText(q, null);
  } else if (current && current.type === 'text') {
    clearResults();
    if (hasAdded()) rerun();
  }
  if (id) {
    openDetail(id, null);
  } else if (els.detail.open) {
    els.detail.close();
  }
  runAfterDetail();
}

els.form.addEventListener('submit', (event) => {
  event.preventDefault();
  clearTimeout(debounceTimer);
  typingEntry = null;
  searchText(els.q.value, current && current.type === 'text' && current.text === els.q.value.trim()
    ? 'force' : 'push');
});

els.q.addEventListener('input', () => {
  clearTimeout(debounceTimer);
  debounceTimer = setTimeout(() => searchText(els.q.value, 'typing'), DEBOUNCE_MS);
});

// Grouping near-duplicates (or not) and the match mode rerun the search on screen; the URL
// keeps the choice.
// A change made while a detail is in the URL (closing: its back navigation is under way until
// the URL has lost the id) waits until history is back: applied at once, it would be
// overwritten when that navigation lands (popstate → applyUrl).
function applyControls(collapse, mode) {
  els.collapse.checked = collapse;
  els.mode.value = mode;
  navigate({ q: urlState().q, id: urlState().id }, 'replace');
  if (!current) return;
  shown = 0;
  runSearch(0);
}

for (const control of [els.collapse, els.mode]) {
  control.addEventListener('change', () => {
    const collapse = els.collapse.checked;
    const mode = els.mode.value;
    if (!urlState().id) {
      applyControls(collapse, mode);
      return;
    }
    const before = afterDetail;
    afterDetail = () => {
      if (before) before();
      applyControls(collapse, mode);
    };
  });
}

els.more.addEventListener('click', () => {
  if (line.item && !line.open) openLine();
  if (current) runSearch(shown);
});

els.chooseFile.addEventListener('click', () => els.file.click());
els.file.addEventListener('change', () => {
  searchImage(els.file.files[0]);
  els.file.value = '';
});

acceptImages(els.dropZone, searchImage);

els.withoutForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = els.without.value.trim();
  if (!text) return;
  els.without.value = '';
  changeAdded((a) => {
    if (!a.without.includes(text)) a.without.push(text);
  });
});

/// Adds a filter condition (KEY=VALUE) and searches again.
function addFilter(condition) {
  changeAdded((a) => {
    if (!a.where.includes(condition)) a.where.push(condition);
  });
}

els.filterForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const condition = conditionOf(els.filter.value);
  if (!condition) {
    showError('A filter is KEY=VALUE: format=png, vendor=google, added_after=2026-11-01, ' +
              'min_width=200, source_prefix=pets/');
    return;
  }
  els.filter.value = '';
  addFilter(condition);
});

// The image on show joins the query once the detail has closed and history is back.
els.addToQuery.addEventListener('click', () => {
  const id = detailId;
  afterDetail = () => changeAdded((a) => {
    if (!a.with.includes(id)) a.with.push(id);
  });
  els.detail.close();
});

els.detailClose.addEventListener('click', () => els.detail.close());
els.detail.addEventListener('close', () => {
  ++detailSeq;
  if (urlState().id) leaveDetail();
  else runAfterDetail();
});
// A click on the backdrop (outside the dialog's box) closes it too.
els.detail.addEventListener('click', (event) => {
  if (event.target !== els.detail) return;
  const r = els.detail.getBoundingClientRect();
  const inside = event.clientX >= r.left && event.clientX <= r.right &&
                 event.clientY >= r.top && event.clientY <= r.bottom;
  if (!inside) els.detail.close();
});

window.addEventListener('popstate', applyUrl);

applyUrl();
if (!urlState().id) els.q.focus();
