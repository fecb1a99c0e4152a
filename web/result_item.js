// One result of the grid (and of the detail's similar images), built from the page's
// <template id="result-template">, and the line that says which language a text query is in.

import { labelOf } from './api.js';

/// The list item of `hit` (an entry of an answer's `results`): its thumbnail linking to `href`,
/// its label, a "+N similar" badge for folded near-duplicates, and a title with its relevance,
/// score and what found it (and the word of the query that scored it); a plain click calls `onOpen()` instead of following the link.
export function resultItem(template, hit, href, onOpen) {
  const li = template.content.firstElementChild.cloneNode(true);
  const a = li.querySelector('a');
  const img = li.querySelector('img');
  const label = labelOf(hit);
  a.href = href;
  a.dataset.id = hit.id;
  a.title = label +
    (typeof hit.relevance === 'number' ? `, relevance ${hit.relevance.toFixed(2)}` : '') +
    `, score ${hit.score.toFixed(3)}`;
  if (hit.ranks) {
    // A hybrid or keyword search: what found the result.
    const found = [hit.ranks.semantic && 'meaning', hit.ranks.keyword && 'words'].filter(Boolean);
    a.dataset.found = found.join('+');
    a.title += `, found by ${found.join(' and ')}`;
  }
  if (hit.word) {
    // The query's words were also searched on their own; this one gave the score.
    a.dataset.word = hit.word;
    a.title += `, scored by the word “${hit.word}”`;
  }
  img.src = hit.thumbnail_url;
  img.alt = label;
  li.querySelector('.caption').textContent = label;
  const folded = Array.isArray(hit.similar) ? hit.similar.length : 0;
  if (folded > 0) {
    const badge = li.querySelector('.similar-count');
    badge.textContent = `+${folded} similar`;
    badge.hidden = false;
    a.title += `, and ${folded} near-duplicate${folded === 1 ? '' : 's'}`;
  }
  a.addEventListener('click', (event) => {
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    onOpen();
  });
  return li;
}

/// The language of the query's text: a text query's, or a combined query's first positive text.
export function describeLanguage(query) {
  const text = query && query.type === 'terms'
    ? query.terms.find((t) => t.type === 'text' && t.weight > 0) : query;
  if (!text || text.type !== 'text' || !text.language) return '';
  const l = text.language;
  if (!l.code || l.code === 'und') return 'Language: not detected';
  return `Language: ${l.name} (${l.code})${l.reliable ? '' : ', uncertain'}`;
}
