// The operator API, as the dashboard uses it. A key lives in sessionStorage: it is gone when the tab closes. Behind
// App Service Authentication the browser's sign-in cookie is enough, and no key is sent.
const keyName = 'releasefunctions.operatorKey';

export class ApiError extends Error {
  /** @param {number} status @param {string} message @param {object|null} problem the problem document, when there is one */
  constructor(status, message, problem = null) {
    super(message);
    this.status = status;
    this.problem = problem;
  }

  get unauthorized() { return this.status === 401; }

  get forbidden() { return this.status === 403; }
}

export const operatorKey = {
  get: () => sessionStorage.getItem(keyName),
  set: (key) => sessionStorage.setItem(keyName, key.trim()),
  clear: () => sessionStorage.removeItem(keyName),
};

async function call(method, path, body) {
  const headers = { Accept: 'application/json' };
  const key = operatorKey.get();
  if (key) headers.Authorization = `Bearer ${key}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  } catch (error) {
    throw new ApiError(0, `the app could not be reached (${error.message})`);
  }
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (!response.ok) {
    const detail = json?.detail ?? json?.title ?? (text || response.statusText);
    throw new ApiError(response.status, `${response.status} ${json?.title ?? response.statusText}: ${detail}`, json);
  }
  return json;
}

function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(name, value);
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

const id = (instanceId) => encodeURIComponent(instanceId);

export const api = {
  /** Who the caller is signed in as (a key, or Entra ID through App Service Authentication), their roles and commands. */
  me: () => call('GET', '/api/me'),
  /** @param {{repository?: string, service?: string, status?: string, pageSize?: number, continuationToken?: string}} filter */
  listReleases: (filter) => call('GET', `/api/releases${query(filter)}`),
  getRelease: (instanceId) => call('GET', `/api/releases/${id(instanceId)}`),
  getTimeline: (instanceId) => call('GET', `/api/releases/${id(instanceId)}/timeline`),
  sendCommand: (instanceId, command, comment) =>
    call('POST', `/api/releases/${id(instanceId)}/commands/${encodeURIComponent(command)}`, comment ? { comment } : {}),
  /** @param {{repository?: string, from: string, to: string}} period */
  getDora: (period) => call('GET', `/api/dora${query(period)}`),
};
