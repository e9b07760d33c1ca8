// DORA metrics per repository over time: one request per period bucket, four charts, and the whole range as a table.
import { api } from '../api.js';
import { lineChart } from '../chart.js';
import { h } from '../dom.js';
import { day, duration, number, percent, timeSpanMs } from '../format.js';

const dayMs = 86400000;
const ranges = {
  weeks: { label: '12 weeks, by week', buckets: 12, size: 7 * dayMs },
  days: { label: '14 days, by day', buckets: 14, size: dayMs },
  months: { label: '12 months, by 30 days', buckets: 12, size: 30 * dayMs },
};

const metrics = [
  // A period without a deployment deployed nothing: frequency 0. The other metrics have no value there.
  { key: 'deploymentsPerDay', title: 'Deployment frequency', yLabel: 'deployments / day', value: (m) => m.deploymentsPerDay, absent: 0, format: number },
  { key: 'medianLeadTime', title: 'Lead time for changes (median)', yLabel: 'hours', value: (m) => hours(m.medianLeadTime), format: number },
  { key: 'changeFailureRate', title: 'Change failure rate', yLabel: '%', value: (m) => (m.changeFailureRate === null ? null : m.changeFailureRate * 100), format: (v) => `${number(v)}%` },
  { key: 'medianTimeToRestore', title: 'Time to restore (median)', yLabel: 'hours', value: (m) => hours(m.medianTimeToRestore), format: number },
];

function hours(span) {
  const ms = timeSpanMs(span);
  return ms === null ? null : ms / 3600000;
}

/** Buckets ending at the next UTC midnight, oldest first, so today is in the last one. */
export function buckets(range, now = Date.now()) {
  const end = Math.floor(now / dayMs) * dayMs + dayMs;
  return Array.from({ length: range.buckets }, (_, i) => {
    const to = end - (range.buckets - 1 - i) * range.size;
    return { from: new Date(to - range.size).toISOString(), to: new Date(to).toISOString() };
  });
}

/** Mounts the DORA page into `main`. */
export function mountDora(main, params, context) {
  const rangeName = ranges[params.get('range')] ? params.get('range') : 'weeks';
  const repository = params.get('repository') ?? '';
  let stopped = false;

  const form = h('form', { class: 'filters', 'aria-label': 'DORA period and repository' },
    h('div', { class: 'field' }, h('label', { for: 'dora-repository' }, 'Repository'),
      h('input', { id: 'dora-repository', name: 'repository', type: 'search', value: repository, placeholder: 'all repositories' })),
    h('div', { class: 'field' }, h('label', { for: 'dora-range' }, 'Period'),
      h('select', { id: 'dora-range', name: 'range' }, Object.entries(ranges).map(([name, range]) => h('option', { value: name, selected: name === rangeName }, range.label)))),
    h('div', { class: 'field buttons' }, h('button', { type: 'submit' }, 'Show')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const search = new URLSearchParams({ range: String(data.get('range')) });
    const repo = String(data.get('repository') ?? '').trim();
    if (repo) search.set('repository', repo);
    location.hash = `#/dora?${search}`;
  });

  const problem = h('div', { class: 'problem', role: 'alert', hidden: true });
  const charts = h('div', { class: 'charts', id: 'dora-charts' }, h('p', null, 'Loading…'));
  const table = h('div', { id: 'dora-table' });
  main.replaceChildren(h('section', { 'aria-labelledby': 'dora-title' },
    h('h1', { id: 'dora-title' }, 'DORA metrics'),
    h('p', null, 'A release counts in the period it completed in; aborted and unfinished releases are not deployments.'),
    form, problem, table, charts));

  (async () => {
    const periods = buckets(ranges[rangeName]);
    try {
      const [whole, ...series] = await Promise.all([
        api.getDora({ repository, from: periods[0].from, to: periods[periods.length - 1].to }),
        ...periods.map((period) => api.getDora({ repository, ...period })),
      ]);
      if (stopped) return;
      table.replaceChildren(summaryTable(whole));
      const repositories = [...new Set(series.flatMap((answer) => answer.repositories.map((m) => m.repository)))].sort();
      if (repositories.length === 0) {
        charts.replaceChildren(h('p', { class: 'empty' }, 'No release completed in this period.'));
        return;
      }
      charts.replaceChildren(...metrics.map((metric) => lineChart({
        title: metric.title,
        yLabel: metric.yLabel,
        formatY: metric.format,
        formatX: (ms) => day(new Date(ms).toISOString()),
        xDomain: [Date.parse(periods[0].to) - 1, Date.parse(periods[periods.length - 1].to) - 1],
        series: repositories.map((repo, i) => ({
          name: repo,
          kind: `repository repository-${i % 6}`,
          points: series.map((answer, b) => {
            const m = answer.repositories.find((r) => r.repository === repo);
            return { x: Date.parse(periods[b].to) - 1, y: m ? metric.value(m) : metric.absent ?? null };
          }).filter((p) => p.y !== null && p.y !== undefined),
        })),
      })));
    } catch (error) {
      if (stopped) return;
      charts.replaceChildren();
      context.showProblem(problem, error, 'see DORA metrics');
    }
  })();
  return () => { stopped = true; };
}

function summaryTable(answer) {
  if (answer.repositories.length === 0) return h('p', { class: 'empty' }, 'No deployments in this period.');
  const band = (value) => (value ? h('span', { class: `band band-${value.toLowerCase()}` }, value) : null);
  return h('table', { class: 'dora responsive' },
    h('caption', null, `${day(answer.from)} – ${day(answer.to)}`),
    h('thead', null, h('tr', null, ['Repository', 'Deployments', 'Per day', 'Lead time', 'Failure rate', 'Time to restore'].map((name) => h('th', { scope: 'col' }, name)))),
    h('tbody', null, answer.repositories.map((m) => h('tr', null,
      h('th', { scope: 'row', 'data-label': 'Repository' }, m.repository),
      h('td', { 'data-label': 'Deployments' }, `${m.deployments} (${m.failedChanges} failed)`),
      h('td', { 'data-label': 'Per day' }, number(m.deploymentsPerDay), ' ', band(m.bands.deploymentFrequency)),
      h('td', { 'data-label': 'Lead time' }, m.medianLeadTime ? duration(timeSpanMs(m.medianLeadTime)) : '–', ' ', band(m.bands.leadTime)),
      h('td', { 'data-label': 'Failure rate' }, percent(m.changeFailureRate), ' ', band(m.bands.changeFailureRate)),
      h('td', { 'data-label': 'Time to restore' }, m.medianTimeToRestore ? duration(timeSpanMs(m.medianTimeToRestore)) : '–', ' ', band(m.bands.timeToRestore))))));
}
