// One release: facts, rollout bar, commands, gates with their charts, approvals, timeline, post-release review and the audit trail.
import { api } from '../api.js';
import { lineChart } from '../chart.js';
import { h } from '../dom.js';
import { actionName, analysisStatusName, at, duration, finalStatuses, number, outcomeName, percent, statusLabel, time, timeSpanMs } from '../format.js';
import { analysisMeasurements, firedAlerts, gateSeries, rollout, soakWatches, windowOf } from '../evidence.js';

const commands = [
  { name: 'approve', label: 'Approve', explain: 'approves the step the release is waiting on' },
  { name: 'reject', label: 'Reject', explain: 'rejects the approval the release is waiting on', danger: true },
  { name: 'promote', label: 'Promote', explain: 'skips the rest of the current soak and its gate, or proceeds after an inconclusive gate' },
  { name: 'pause', label: 'Pause', explain: 'holds the release where it is until it is resumed' },
  { name: 'resume', label: 'Resume', explain: 'lets a paused release go on' },
  { name: 'rollback', label: 'Roll back', explain: 'moves all traffic back to the stable version and ends the release', danger: true },
  { name: 'abort', label: 'Abort', explain: 'stops the release where it is, without a rollback', danger: true },
];

/** Replaces a section's content only when its data changed, so open details and focus survive a refresh. */
function section(id, title) {
  const content = h('div', { class: 'section-body' });
  const element = h('section', { id, 'aria-labelledby': `${id}-title`, class: 'panel' }, h('h2', { id: `${id}-title` }, title), content);
  let signature = null;
  return {
    element,
    update(data, render) {
      const next = JSON.stringify(data);
      if (next === signature) return;
      signature = next;
      content.replaceChildren(...[render(data)].flat().filter(Boolean));
    },
  };
}

function facts(detail) {
  const release = detail.release;
  const progress = detail.progress;
  const items = [];
  const add = (term, value) => { if (value !== null && value !== undefined && value !== '') items.push(h('dt', null, term), h('dd', null, value)); };
  if (release) {
    add('Repository', release.repository);
    add('Pull request', h('a', { href: `https://github.com/${release.repository}/pull/${release.pullRequest}`, rel: 'noopener noreferrer', target: '_blank' }, `#${release.pullRequest} ${release.title}`));
    add('Author', release.author);
    add('Commit', h('code', null, release.mergeCommitSha.slice(0, 12)));
    add('Merged', at(release.mergedAt));
    add('Started', at(release.startedAt));
    add(release.completedAt ? 'Completed' : 'Age', release.completedAt
      ? `${at(release.completedAt)} (took ${duration(Date.parse(release.completedAt) - Date.parse(release.startedAt))})`
      : duration(Date.now() - Date.parse(release.startedAt)));
    add('Weight', release.weightPercent === null ? null : `${release.weightPercent}% on ${release.version}`);
    add('Summary', release.summary);
  }
  add('Next', progress?.nextStep);
  add('Engine', detail.runtimeStatus);
  return h('dl', { class: 'facts' }, items);
}

function rolloutBar(stages) {
  if (stages.length === 0) return h('p', { class: 'empty' }, 'The rollout has not started.');
  return h('ol', { class: 'rollout', 'aria-label': 'Rollout through stages and steps' }, stages.map((stage) =>
    h('li', { class: `stage ${stage.state}`, dataset: { stage: stage.name } },
      h('span', { class: 'stage-name' }, stage.name, h('span', { class: 'visually-hidden' }, ` (${stage.state})`)),
      h('ol', { class: 'steps' }, stage.steps.map((step) =>
        h('li', { class: `step ${step.state}`, 'aria-current': step.state === 'current' ? 'step' : null },
          h('span', { class: 'step-label' }, `Step ${step.step}`),
          h('span', { class: 'step-weight' }, step.weight === null ? '' : `${step.weight}%`),
          h('span', { class: 'visually-hidden' }, ` ${step.state}`)))))));
}

/** "10:00:00–10:10:00 UTC (10 min)", with the instants as time elements. */
function windowText(window) {
  if (!window) return h('span', { class: 'empty' }, 'not recorded');
  const [start, end] = [new Date(window.start).toISOString(), new Date(window.end).toISOString()];
  return h('span', { class: 'window' }, h('time', { datetime: start }, time(start)), '–', h('time', { datetime: end }, time(end)),
    ` UTC (${duration(window.end - window.start)})`);
}

/** A .NET TimeSpan as the evidence writes it ("00:05:00") in words ("5 min"). */
const span = (text) => { const ms = timeSpanMs(text); return ms === null ? String(text ?? '–') : duration(ms); };

const sameWindow = (a, b) => a && b && a.start === b.start && a.end === b.end;

/** The query as its source was asked to run it: the template, the source, and each value its placeholders were given. */
function queryFacts(query, compact = false) {
  if (!query) return h('span', { class: 'empty' }, 'not recorded (measured before queries were kept)');
  const parameters = Object.entries(query.parameters ?? {});
  const values = parameters.map(([name, value]) => h('code', { class: 'parameter' }, `${name}=${value}`));
  return h('span', { class: 'query-facts' }, h('code', { class: 'query' }, query.template), ` on ${query.provider}`,
    parameters.length === 0 ? ', no parameters'
      : compact ? [' with ', values.flatMap((value, i) => (i ? [' ', value] : [value]))]
        : h('ul', { class: 'parameters' }, values.map((value) => h('li', null, value))));
}

/** The test line as the gate wrote it; evidence from before it was written has only the p-value, if any. */
const testText = (m) => m.test ?? (Number.isFinite(m.pValue) ? `p = ${number(m.pValue)} (the test line was not recorded)` : 'not recorded');

/** Fired alerts, each with when it started, what it says and a link to it (only http and https links are followed). */
function alertList(alerts, kind) {
  return h('ul', { class: `alerts ${kind}` }, alerts.map((alert) => {
    const labels = Object.entries(alert.labels ?? {}).map(([name, value]) => `${name}=${value}`).join(', ');
    const link = /^https?:\/\//i.test(alert.url ?? '') ? h('a', { href: alert.url, rel: 'noopener noreferrer', target: '_blank' }, 'open') : null;
    return h('li', null, h('strong', null, alert.name), ' since ', alert.startsAt ? h('time', { datetime: alert.startsAt }, at(alert.startsAt)) : '–',
      alert.summary ? `: ${alert.summary}` : '', labels ? h('span', { class: 'labels' }, ` (${labels})`) : '', link ? [' ', link] : '');
  }));
}

function alertFacts(firing, preexisting) {
  const parts = [];
  if (firing.length) parts.push(h('p', { class: 'alerts-title firing' }, `Firing since the release moved traffic (${firing.length}):`), alertList(firing, 'firing'));
  if (preexisting.length) parts.push(h('p', { class: 'alerts-title' }, `Already firing before the release (evidence only, ${preexisting.length}):`), alertList(preexisting, 'preexisting'));
  return parts;
}

function checksTable(checks) {
  if (checks.length === 0) return h('span', { class: 'empty' }, 'none checked (no value to compare)');
  return h('table', { class: 'checks' },
    h('thead', null, h('tr', null, ['Criterion', 'Threshold', 'Result'].map((name) => h('th', { scope: 'col' }, name)))),
    h('tbody', null, checks.map((check) => h('tr', { class: check.held ? 'held' : 'broken' },
      h('td', null, h('code', null, check.criterion)),
      h('td', null, number(check.threshold)),
      h('td', null, check.held ? '✔ held' : '✘ broken', check.note ? h('span', { class: 'note' }, ` (${check.note})`) : '')))));
}

/** Everything one measurement of one objective rests on, as a list of facts. */
function measurementFacts(m) {
  const items = [];
  const add = (fact, term, ...value) => items.push(h('dt', null, term), h('dd', { dataset: { fact } }, ...value));
  add('outcome', 'Outcome', h('strong', { class: `outcome-${m.outcome.toLowerCase()}` }, m.outcome), m.reason ? ` · ${m.reason}` : '');
  add('query', 'Query', queryFacts(m.query));
  add('window', 'Canary window', windowText(m.window));
  if (m.referencePopulation) {
    add('reference-window', `Reference window (${m.referencePopulation})`, windowText(m.referenceWindow),
      sameWindow(m.window, m.referenceWindow) ? ', the canary\'s' : '');
  }
  add('observed', 'Observed', `${number(m.observed)} (canary, ${m.canarySamples} sample(s))`);
  if (m.referencePopulation) add('reference', 'Reference', `${number(m.reference)} (${m.referencePopulation}, ${m.referenceSamples} sample(s))`);
  add('test', 'Test', testText(m));
  add('checks', 'Criteria', checksTable(m.checks));
  if (m.firingAlerts.length || m.preexistingAlerts.length) add('alerts', 'Alerts', alertFacts(m.firingAlerts, m.preexistingAlerts));
  if (m.error) add('error', 'Error', m.error);
  return h('dl', { class: 'evidence' }, items);
}

const measuredAt = (m) => `${time(new Date(m.at).toISOString())} · step ${m.step} at ${m.weight ?? 0}%`;

function gates(detail, events) {
  const { gates: series, errors } = gateSeries(events);
  const watches = soakWatches(events);
  const verdicts = detail.gateVerdicts.map((event) => {
    const result = event.evidence?.result ?? {};
    return h('li', { class: `verdict outcome-${analysisStatusName(result.status).toLowerCase()}` },
      h('strong', null, `${event.evidence?.stage ?? ''} step ${event.evidence?.step ?? ''}: `), event.reason);
  });
  const parts = [];
  if (verdicts.length) parts.push(h('h3', null, 'Verdicts'), h('ul', { class: 'verdicts' }, verdicts));
  if (series.length === 0 && errors.length === 0) {
    parts.push(h('p', { class: 'empty' }, 'No gate has measured yet.'));
    return parts;
  }
  for (const gate of series) {
    const criteria = [...new Set(gate.measurements.flatMap((m) => m.checks.map((c) => c.criterion)))];
    const population = gate.measurements.find((m) => m.referencePopulation)?.referencePopulation;
    const lines = [{
      name: 'observed (canary)',
      kind: 'observed',
      points: gate.measurements.filter((m) => Number.isFinite(m.observed))
        .map((m) => ({ x: m.at, y: m.observed, note: `step ${m.step} at ${m.weight ?? 0}%: ${m.outcome}` })),
    }];
    if (gate.measurements.some((m) => Number.isFinite(m.reference))) {
      lines.push({
        name: `reference (${population ?? 'baseline'})`,
        kind: 'reference',
        points: gate.measurements.filter((m) => Number.isFinite(m.reference)).map((m) => ({ x: m.at, y: m.reference })),
      });
    }
    criteria.forEach((criterion, i) => lines.push({
      name: `threshold ${criterion}`,
      kind: `threshold threshold-${i}`,
      step: true,
      markers: false,
      points: gate.measurements.map((m) => ({ x: m.at, y: m.checks.find((c) => c.criterion === criterion)?.threshold }))
        .filter((p) => Number.isFinite(p.y)),
    }));
    const last = gate.measurements[gate.measurements.length - 1];
    const where = gate.scope === 'Stage' ? gate.stage : `${gate.stage} (${gate.scope})`;
    // A watch that tripped during a soak of this stage is a moment on the same time axis.
    const marks = watches.filter((watch) => watch.stage === gate.stage)
      .map((watch) => ({ x: watch.at, label: 'watch tripped', kind: 'soak-watch', note: `step ${watch.step}: ${watch.reason}` }));
    const chart = lineChart({ title: `${where} · ${gate.objective}`, yLabel: gate.objective, series: lines, marks, formatX: (ms) => time(new Date(ms).toISOString()) });
    chart.dataset.gate = gate.scope === 'Stage' ? `${gate.stage}/${gate.objective}` : `${gate.stage}/${gate.scope}/${gate.objective}`;
    chart.append(
      h('div', { class: 'measurement-evidence latest' },
        h('h4', null, `Latest measurement (${gate.measurements.length} in all): ${measuredAt(last)}`), measurementFacts(last)),
      h('details', { class: 'measurements' }, h('summary', null, `Every measurement (${gate.measurements.length})`),
        h('ol', { reversed: true }, [...gate.measurements].reverse().map((m) => h('li', { dataset: { sequence: m.sequence } },
          h('details', { class: 'measurement-evidence' }, h('summary', null, `${measuredAt(m)}: ${m.outcome}`), measurementFacts(m)))))));
    parts.push(chart);
  }
  if (errors.length) {
    parts.push(h('h3', null, 'Failed measurements'), h('ul', null, errors.map((e) => h('li', null, `${e.stage} step ${e.step}: ${e.error}`))));
  }
  return parts;
}

function approvals(detail) {
  const who = detail.progress?.approvedBy ?? [];
  const parts = [h('p', null, who.length ? `Approved by ${who.join(', ')}.` : 'No approval given for the current step.')];
  if (detail.approvals.length) {
    parts.push(h('ul', { class: 'approvals' }, detail.approvals.map((event) =>
      h('li', null, h('time', { datetime: event.at }, at(event.at)), ' ', h('span', { class: 'kind' }, event.kind), ' ', h('strong', null, event.actor), ': ', event.reason))));
  } else {
    parts.push(h('p', { class: 'empty' }, 'The policy has asked for no approval so far.'));
  }
  return parts;
}

function review(detail) {
  const written = detail.review;
  if (!written) {
    return h('p', { class: 'empty' }, detail.release?.completedAt
      ? 'Not written yet: the review runs once the policy\'s review delay has passed since the release finished.'
      : 'The review is written after the release finishes and the policy\'s review delay has passed.');
  }
  const value = (n) => (n === null || n === undefined ? 'no data' : number(n));
  const parts = [
    h('p', null, h('strong', null, statusLabel(written.outcome)), `: ${written.outcomeReason}`),
    h('dl', { class: 'facts' },
      h('dt', null, 'Reviewed'), h('dd', null, at(written.reviewedAt)),
      h('dt', null, 'Lead time'), h('dd', null, written.leadTime),
      h('dt', null, 'Change failure'), h('dd', null, written.changeFailure ? 'yes' : 'no'),
      h('dt', null, 'Error budget'), h('dd', null, written.errorBudget
        ? `${number(written.errorBudget.remainingAtRelease)}% left at release, ${number(written.errorBudget.remainingNow)}% now`
        : 'no error-budget objective'),
      h('dt', null, 'Published'), h('dd', null, written.publishedAt ? at(written.publishedAt) : 'not yet')),
  ];
  if (written.slis.length) {
    parts.push(h('table', { class: 'responsive', id: 'review-slis' },
      h('caption', null, 'SLIs before versus after the release'),
      h('thead', null, h('tr', null, ['Objective', 'Before', 'After', 'Assessment'].map((name) => h('th', { scope: 'col' }, name)))),
      h('tbody', null, written.slis.map((sli) => h('tr', null,
        h('td', { 'data-label': 'Objective' }, sli.objective),
        h('td', { 'data-label': 'Before' }, value(sli.before)),
        h('td', { 'data-label': 'After' }, value(sli.after)),
        h('td', { 'data-label': 'Assessment' }, sli.assessment))))));
  }
  if (written.notes.length) parts.push(h('ul', { class: 'notes' }, written.notes.map((note) => h('li', null, note))));
  return parts;
}

/** One objective of one measurement in a line or two: outcome, numbers with sample counts, test, criteria, query, windows. */
function objectiveLine(m) {
  const reference = m.referencePopulation ? ` vs ${m.referencePopulation} ${number(m.reference)} (${m.referenceSamples})` : '';
  const checks = m.checks.map((check) => `${check.criterion} at ${number(check.threshold)} ${check.held ? '✔' : '✘'}`).join(', ');
  return h('li', { dataset: { objective: m.objective } },
    h('strong', null, m.objective), ' ', h('span', { class: `outcome-${m.outcome.toLowerCase()}` }, m.outcome),
    `: observed ${number(m.observed)} (canary ${m.canarySamples})${reference}`,
    h('span', { class: 'fact test' }, `test: ${testText(m)}`),
    checks ? h('span', { class: 'fact checks' }, `criteria: ${checks}`) : '',
    h('span', { class: 'fact query' }, 'query: ', queryFacts(m.query, true)),
    h('span', { class: 'fact windows' }, 'canary ', windowText(m.window),
      m.referencePopulation && !sameWindow(m.window, m.referenceWindow) ? [`; ${m.referencePopulation} `, windowText(m.referenceWindow)] : ''));
}

/** The objectives of one `gate-measurement` record, each as the charts read it. */
const objectivesOf = (event) => gateSeries([event]).gates.map((gate) => gate.measurements[0]);

function measurementSummary(event) {
  const evidence = event.evidence;
  const verdict = evidence.verdict;
  const objectives = objectivesOf(event);
  const score = Number.isFinite(verdict?.score) ? `, score ${number(verdict.score)}` : '';
  return h('div', { class: 'event-facts' },
    h('p', null, `${evidence.stage} step ${evidence.step} at ${evidence.weight ?? 0}% · window `, windowText(windowOf(evidence.window)),
      verdict ? [' · gate ', h('strong', { class: `outcome-${outcomeName(verdict.outcome).toLowerCase()}` }, outcomeName(verdict.outcome)), score] : ' · no verdict'),
    objectives.length ? h('ul', { class: 'objective-facts' }, objectives.map(objectiveLine)) : '',
    verdict ? alertFacts(firedAlerts(verdict.firingAlerts), firedAlerts(verdict.preexistingAlerts)) : '',
    evidence.error ? h('p', { class: 'fact error' }, `error: ${evidence.error}`) : '');
}

function verdictSummary(event, events) {
  const evidence = event.evidence;
  const result = evidence.result ?? {};
  const taken = analysisMeasurements(events, event);
  const last = taken[taken.length - 1];
  const counts = `${result.measurements ?? 0} measurement(s): ${result.passed ?? 0} passed, ${result.warnings ?? 0} marginal, ${result.failed ?? 0} failed, `
    + `${result.inconclusive ?? 0} inconclusive, ${result.errors ?? 0} error(s)` + (result.withoutData ? `, ${result.withoutData} without data waited out` : '');
  const parts = [h('p', null, h('strong', { class: `outcome-${analysisStatusName(result.status).toLowerCase()}` }, analysisStatusName(result.status)),
    ` · ${evidence.stage} step ${evidence.step} · ${counts}`,
    evidence.since ? [' · since ', h('time', { datetime: evidence.since }, time(evidence.since))] : '')];
  if (last) {
    const objectives = objectivesOf(last);
    parts.push(h('p', null, `Last of the ${taken.length} measurement(s) it was made of, window `, windowText(windowOf(last.evidence.window)), ':'),
      objectives.length ? h('ul', { class: 'objective-facts' }, objectives.map(objectiveLine)) : h('p', { class: 'empty' }, last.evidence.error ?? last.reason));
  }
  return h('div', { class: 'event-facts' }, parts);
}

/** One window of a burn-rate pair: the burn rate, the error ratio it came from, the window read; or that it held no data. */
function burnCell(burnRate, errorRatio, window) {
  if (!Number.isFinite(burnRate)) return h('td', null, 'no data', window ? h('span', { class: 'window-of' }, windowText(window)) : '');
  return h('td', null, `${number(burnRate)}x (${percent(errorRatio)} errors)`, h('span', { class: 'window-of' }, windowText(window)));
}

function soakWatchSummary(event) {
  const [watch] = soakWatches([event]);
  const parts = [h('p', null, `${watch.stage} step ${watch.step} at ${watch.weight ?? 0}% · watched `, windowText(watch.window))];
  const burn = watch.burnRate;
  if (burn) {
    parts.push(h('p', { class: 'fact' }, h('strong', { class: burn.tripped ? 'outcome-fail' : 'outcome-pass' }, burn.tripped ? 'Burn rate tripped' : 'Burn rate within limits'),
      ` · SLO ${number(burn.sloTargetPercent)}% (error budget ${number(100 - burn.sloTargetPercent)}%) · query `, h('code', { class: 'query' }, burn.query ?? '–')),
    h('table', { class: 'burn-rates' },
      h('thead', null, h('tr', null, ['Windows', 'Factor', 'Short', 'Long', 'Tripped'].map((name) => h('th', { scope: 'col' }, name)))),
      h('tbody', null, burn.windows.map((pair) => h('tr', { class: pair.tripped ? 'tripped' : null },
        h('th', { scope: 'row' }, `${span(pair.short)} / ${span(pair.long)}`),
        h('td', null, `${number(pair.factor)}x`),
        burnCell(pair.shortBurnRate, pair.shortErrorRatio, pair.shortWindow),
        burnCell(pair.longBurnRate, pair.longErrorRatio, pair.longWindow),
        h('td', null, pair.tripped ? '✘ yes' : 'no'))))),
    burn.reason ? h('p', { class: 'fact' }, burn.reason) : '');
  }
  if (watch.alertsRead) {
    parts.push(watch.firing.length || watch.preexisting.length ? alertFacts(watch.firing, watch.preexisting) : h('p', { class: 'fact' }, 'No alert firing.'));
  }
  if (watch.error) parts.push(h('p', { class: 'fact error' }, `error: ${watch.error}`));
  return h('div', { class: 'event-facts' }, parts);
}

/** The facts of a gate's or a watch's record, read from its evidence; null for kinds whose evidence is shown as recorded only. */
function timelineFacts(event, events) {
  if (!event.evidence || typeof event.evidence !== 'object') return null;
  switch (event.kind) {
    case 'gate-measurement': return measurementSummary(event);
    case 'gate-verdict': return verdictSummary(event, events);
    case 'soak-watch': return soakWatchSummary(event);
    default: return null;
  }
}

function timelineItem(event, events) {
  const rollback = event.kind === 'traffic-shifted' && actionName(event.evidence?.action) === 'Rollback';
  const facts = timelineFacts(event, events);
  return h('li', { class: `event kind-${event.kind}${rollback ? ' rollback' : ''}`, dataset: { sequence: event.sequence, kind: event.kind } },
    h('time', { datetime: event.at }, time(event.at)),
    h('span', { class: 'kind' }, event.kind),
    h('span', { class: 'actor' }, event.actor),
    h('p', { class: 'reason' }, event.reason),
    facts,
    h('details', null, h('summary', null, facts ? 'Evidence as recorded (JSON)' : 'Evidence'), h('pre', null, JSON.stringify(event.evidence, null, 2))));
}

function audit(timeline) {
  const verification = timeline.audit;
  const banner = h('p', { class: `verification ${verification.isIntact ? 'intact' : 'broken'}`, id: 'audit-verification' },
    verification.isIntact ? `✔ Chain verified: ${verification.reason}.` : `✘ Chain broken at record ${verification.brokenAtSequence}: ${verification.reason}.`);
  const rows = timeline.events.map((event) => h('tr', { class: verification.brokenAtSequence === event.sequence ? 'broken' : null },
    h('td', { 'data-label': '#' }, String(event.sequence)),
    h('td', { 'data-label': 'At' }, at(event.at)),
    h('td', { 'data-label': 'Actor' }, event.actor),
    h('td', { 'data-label': 'Kind' }, event.kind),
    h('td', { 'data-label': 'Hash' }, h('code', { title: event.hash }, event.hash.slice(0, 16)))));
  return [banner, h('details', null, h('summary', null, `Audit records (${timeline.events.length})`),
    h('table', { class: 'audit responsive' },
      h('thead', null, h('tr', null, ['#', 'At', 'Actor', 'Kind', 'Hash'].map((name) => h('th', { scope: 'col' }, name)))),
      h('tbody', null, rows)))];
}

/** Mounts one release into `main`; returns a function that stops its refreshing. */
export function mountRelease(main, instanceId, context) {
  let stopped = false;
  let busy = false;
  let finished = false;
  let current = null;

  const heading = h('h1', { id: 'release-title' }, instanceId);
  const badge = h('span', { class: 'state', id: 'release-state', hidden: true });
  const updated = h('p', { class: 'updated', id: 'release-updated' });
  const problem = h('div', { class: 'problem', role: 'alert', hidden: true });
  const summary = section('release-facts', 'Where it stands');
  const bar = section('release-rollout', 'Rollout');
  const gateSection = section('release-gates', 'Gates');
  const approvalSection = section('release-approvals', 'Approvals');
  const auditSection = section('release-audit', 'Audit trail');
  const reviewSection = section('release-review', 'Post-release review');
  const timeline = h('ol', { class: 'timeline', id: 'timeline', 'aria-label': 'Timeline of the release, oldest first' });
  const timelineSection = h('section', { id: 'release-timeline', class: 'panel', 'aria-labelledby': 'release-timeline-title' },
    h('h2', { id: 'release-timeline-title' }, 'Timeline'), timeline);

  const commandStatus = h('p', { id: 'command-status', role: 'status', 'aria-live': 'polite' });
  // Only the commands the signed-in operator's roles allow get a button; the API refuses the others anyway.
  const operator = context.operator();
  const allowed = commands.filter((command) => operator?.commands.includes(command.name));
  const buttons = allowed.map((command) => h('button', {
    type: 'button', class: command.danger ? 'danger' : null, dataset: { command: command.name }, onclick: () => confirmCommand(command),
  }, command.label));
  const commandSection = h('section', { id: 'release-commands', class: 'panel', 'aria-labelledby': 'release-commands-title' },
    h('h2', { id: 'release-commands-title' }, 'Commands'), h('div', { class: 'command-buttons' }, buttons), commandStatus);

  const content = h('div', { class: 'release-content' },
    summary.element, h('div', { class: 'side' }, commandSection, approvalSection.element),
    bar.element, gateSection.element, timelineSection, reviewSection.element, auditSection.element);
  main.replaceChildren(h('article', { 'aria-labelledby': 'release-title', class: 'release' },
    h('p', null, h('a', { href: '#/releases' }, '← All releases')),
    h('div', { class: 'title-row' }, heading, badge), updated, problem, content));

  function setButtons() {
    for (const button of buttons) {
      button.disabled = finished;
      button.setAttribute('aria-disabled', String(finished));
    }
    if (finished) commandStatus.textContent = 'The release has finished: commands go to running releases only.';
    else if (!operator) commandStatus.textContent = 'Sign in to send commands.';
    else if (allowed.length === 0) commandStatus.textContent = `Signed in as ${operator.name} with ${operator.roles.join(', ')}: reading only. Commands need Release.Operate (pause, resume, promote, roll back, abort) or Release.Approve (approve, reject).`;
  }

  async function confirmCommand(command) {
    const release = current?.release;
    const what = release ? `${release.service} ${release.version}` : instanceId;
    const answer = await context.confirm(`${command.label}: ${what}?`, `This ${command.explain}.`, command.label);
    if (answer === null) {
      commandStatus.textContent = `${command.label} cancelled.`;
      return;
    }
    commandStatus.textContent = `Sending ${command.name}…`;
    try {
      const accepted = await api.sendCommand(instanceId, command.name, answer);
      commandStatus.textContent = `${command.label} sent as ${accepted.actor} at ${time(accepted.issuedAt)} UTC; the timeline shows what the release made of it.`;
      refresh();
    } catch (error) {
      commandStatus.textContent = error.unauthorized
        ? `The API refused the command (${error.message}). Sign in again.`
        : `The command was not accepted: ${error.message}`;
    }
  }

  async function refresh() {
    if (busy || stopped) return;
    busy = true;
    try {
      const [detail, trail] = await Promise.all([api.getRelease(instanceId), api.getTimeline(instanceId)]);
      if (stopped) return;
      current = detail;
      problem.hidden = true;
      content.hidden = false;
      const release = detail.release;
      const status = release?.status ?? detail.progress?.status ?? 'Pending';
      finished = finalStatuses.has(status);
      heading.textContent = release ? `${release.service} ${release.version}` : instanceId;
      document.title = `${heading.textContent} · ReleaseFunctions`;
      badge.className = `state state-${status}`;
      badge.textContent = statusLabel(status);
      badge.dataset.status = status;
      badge.hidden = false;

      summary.update({ release, progress: detail.progress, runtime: detail.runtimeStatus }, () => facts(detail));
      bar.update(rollout(trail.events, release, detail.progress), rolloutBar);
      const measured = trail.events.filter((e) => ['gate-measurement', 'gate-verdict', 'soak-watch'].includes(e.kind)).map((e) => e.sequence);
      gateSection.update(measured, () => gates(detail, trail.events));
      approvalSection.update({ approvals: detail.approvals.map((e) => e.sequence), by: detail.progress?.approvedBy }, () => approvals(detail));
      auditSection.update({ n: trail.events.length, audit: trail.audit }, () => audit(trail));
      reviewSection.update({ review: detail.review, completed: release?.completedAt }, () => review(detail));

      const shown = new Set([...timeline.children].map((li) => Number(li.dataset.sequence)));
      timeline.append(...trail.events.filter((event) => !shown.has(event.sequence)).map((event) => timelineItem(event, trail.events)));
      setButtons();
      updated.textContent = `Updated ${time(new Date().toISOString())} UTC` + (finished ? '; the release has finished.' : `, refreshing every ${context.refreshSeconds} s.`);
    } catch (error) {
      if (stopped) return;
      content.hidden = true;
      context.showProblem(problem, error, 'see this release and send it commands');
    } finally {
      busy = false;
    }
  }

  refresh();
  const timer = setInterval(() => { if (!document.hidden && !finished) refresh(); }, context.refreshSeconds * 1000);
  return () => { stopped = true; clearInterval(timer); };
}
