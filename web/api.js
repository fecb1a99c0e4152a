// The JSON API of docs/api.md as the search page calls it, and how a result is named.

export class ApiError extends Error {}

/// Calls the API; throws ApiError with the server's message for an error status.
export async function api(path, options = {}) {
  let response;
  try {
    response = await fetch(path, options);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError('The server cannot be reached. Is `qiss serve` running?');
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    throw new ApiError((body && body.error) || `${response.status} ${response.statusText}`);
  }
  return body;
}

function basename(source) {
  const s = String(source || '');
  return s.slice(s.lastIndexOf('/') + 1) || s;
}

/// What a result or stored image is called on the page: its caption, else its file name.
export function labelOf(hit) {
  return hit.caption || basename(hit.source) || `image ${hit.id}`;
}
