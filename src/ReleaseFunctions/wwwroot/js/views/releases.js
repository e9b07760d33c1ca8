// The releases list: every release, filtered by repository, service and state, refreshed while it is shown.
import { api } from '../api.js';
import { h } from '../dom.js';
import { duration, finalStatuses, stateChoices, statusLabel, time } from '../format.js';

const columns = ['Service', 'Version', 'Repository', 'PR', 'Stage', 'Step', 'Weight', 'State', 'Age'];

function row(release) {
  const link = `#/releases/${encodeURIComponent(release.instanceId)}`;
  const finished = finalStatuses.has(release.status);
  const age = Date.now() - Date.parse(release.startedAt);
  const took = release.completedAt ? Date.parse(release.completedAt) - Date.parse(release.startedAt) : null;
  const cells = [
    h('a', { href: link }, release.service),
    release.version,
    release.repository,
    h('a', { href: `https://github.com/${release.repository}/pull/${release.pullRequest}`, rel: 'noopener noreferrer', target: '_blank', 'aria-label': `pull request ${release.pullRequest} on GitHub` }, `#${release.pullRequest}`),
    release.stage ?? '–',
    release.step > 0 ? String(release.step) : '–',
    release.weightPercent === null || release.weightPercent === undefined ? '–' : `${release.weightPercent}%`,
    h('span', { class: `state state-${release.status}` }, statusLabel(release.status)),
    h('span', { title: finished && took !== null ? `took ${duration(took)}` : null }, duration(age)),
  ];
  return h('tr', { dataset: { instanceId: release.instanceId, status: release.status } },
    cells.map((cell, i) => (i === 0 ? h('th', { scope: 'row', 'data-label': columns[i] }, cell) : h('td', { 'data-label': columns[i] }, cell))));
}

/** Mounts the list into `main`; returns a function that stops its refreshing. */
export function mountReleases(main, params, context) {
  const filter = {
    repository: params.get('repository') ?? '',
    service: params.get('service') ?? '',
    status: params.get('status') ?? '',
  };
  let pages = 1;
  let stopped = false;
  let busy = false;

  const field = (name, label) => h('div', { class: 'field' },
    h('label', { for: `filter-${name}` }, label),
    h('input', { id: `filter-${name}`, name, type: 'search', value: filter[name], autocomplete: 'off' }));
  const status = h('select', { id: 'filter-status', name: 'status' },
    stateChoices.map((choice) => h('option', { value: choice.value, selected: choice.value === filter.status }, choice.label)));
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter releases' },
    field('repository', 'Repository'),
    field('service', 'Service'),
    h('div', { class: 'field' }, h('label', { for: 'filter-status' }, 'State'), status),
    h('div', { class: 'field buttons' },
      h('button', { type: 'submit' }, 'Apply filters'),
      h('button', { type: 'button', onclick: () => { location.hash = '#/releases'; } }, 'Clear')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const search = new URLSearchParams();
    for (const name of ['repository', 'service', 'status']) {
      const value = String(data.get(name) ?? '').trim();
      if (value) search.set(name, value);
    }
    const text = search.toString();
    location.hash = `#/releases${text ? `?${text}` : ''}`;
  });
  status.addEventListener('change', () => form.requestSubmit());

  const body = h('tbody');
  const table = h('table', { class: 'releases responsive', id: 'releases-table' },
    h('caption', { class: 'visually-hidden' }, 'Releases, newest first'),
    h('thead', null, h('tr', null, columns.map((name) => h('th', { scope: 'col' }, name)))),
    body);
  const empty = h('p', { class: 'empty', hidden: true }, 'No release matches these filters.');
  const updated = h('p', { class: 'updated', id: 'releases-updated' });
  const more = h('button', { type: 'button', class: 'more', hidden: true, onclick: () => { pages += 1; refresh(); } }, 'Show older releases');
  const problem = h('div', { class: 'problem', role: 'alert', hidden: true });
  // Releases whose rollback failed come first, whatever the filters: the candidate may still take traffic.
  const alarms = h('div', { class: 'rollback-failed', id: 'rollback-failed', role: 'alert', hidden: true });

  main.replaceChildren(h('section', { 'aria-labelledby': 'releases-title' },
    alarms, h('h1', { id: 'releases-title' }, 'Releases'), form, problem, updated, table, empty, more));

  function showAlarms(failed) {
    alarms.hidden = failed.length === 0;
    alarms.replaceChildren(
      h('h2', null, `Rollback failed: ${failed.length} release(s) may still send traffic to the candidate`),
      h('ul', null, failed.map((release) => h('li', null,
        h('a', { href: `#/releases/${encodeURIComponent(release.instanceId)}` }, `${release.service} ${release.version}`),
        ` (${release.repository}#${release.pullRequest}): last read ${release.weightPercent ?? '?'}% on the candidate in ${release.stage ?? 'its stage'}; ${release.summary}`))));
  }

  async function refresh() {
    if (busy || stopped) return;
    busy = true;
    try {
      const [page, failed] = await Promise.all([
        api.listReleases({ ...filter, pageSize: Math.min(500, 50 * pages) }),
        api.listReleases({ status: 'RollbackFailed', pageSize: 50 }),
      ]);
      if (stopped) return;
      showAlarms(failed.releases);
      problem.hidden = true;
      table.hidden = false;
      body.replaceChildren(...page.releases.map(row));
      empty.hidden = page.releases.length > 0;
      more.hidden = !page.continuationToken || pages * 50 >= 500;
      updated.textContent = `${page.releases.length} release(s); updated ${time(new Date().toISOString())} UTC, refreshing every ${context.refreshSeconds} s`;
    } catch (error) {
      if (stopped) return;
      table.hidden = true;
      empty.hidden = true;
      more.hidden = true;
      context.showProblem(problem, error, 'see releases');
    } finally {
      busy = false;
    }
  }

  refresh();
  const timer = setInterval(() => { if (!document.hidden) refresh(); }, context.refreshSeconds * 1000);
  return () => { stopped = true; clearInterval(timer); };
}
