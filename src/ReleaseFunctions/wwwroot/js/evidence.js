// Reads the audit trail's evidence into what the detail page draws: the rollout and the gates' measurements.
import { actionName, outcomeName } from './format.js';

const byStage = (events, kind) => events.filter((event) => event.kind === kind && event.evidence && typeof event.evidence === 'object');

/**
 * The rollout as stages of steps: stage names from the release-received record, steps (with their weights) from the
 * traffic shifts, the current stage's step count from the engine's progress.
 */
export function rollout(events, release, progress) {
  const received = events.find((event) => event.kind === 'release-received');
  const names = Array.isArray(received?.evidence?.stages) ? [...received.evidence.stages] : [];
  const currentStage = progress?.stage ?? release?.stage ?? null;
  if (currentStage && !names.includes(currentStage)) names.push(currentStage);
  const shifts = [...byStage(events, 'traffic-shifted'), ...byStage(events, 'stage-promoted')];
  const finished = release && ['Promoted', 'RolledBack', 'Failed', 'Aborted', 'RollbackFailed'].includes(release.status);

  return names.map((name, index) => {
    const stageShifts = shifts.filter((event) => event.evidence.stage === name);
    const weights = new Map();
    for (const event of stageShifts) {
      const action = actionName(event.evidence.action);
      if (action === 'Rollback' || action === 'Promote') continue;
      const weight = event.evidence.state?.candidateWeightPercent ?? event.evidence.requested;
      weights.set(event.evidence.step, weight);
    }
    const isCurrent = name === currentStage;
    const reachedSteps = weights.size ? Math.max(...weights.keys()) : 0;
    const stepCount = Math.max(isCurrent && progress?.stepCount ? progress.stepCount : 0, reachedSteps, 1);
    const promoted = stageShifts.some((event) => actionName(event.evidence.action) === 'Promote');
    const currentIndex = names.indexOf(currentStage);
    const state = promoted || (release?.status === 'Promoted') ? 'done'
      : isCurrent ? (finished ? 'stopped' : 'current')
        : currentIndex >= 0 && index < currentIndex ? 'done' : 'pending';
    const currentStep = isCurrent ? (progress?.step ?? release?.step ?? 0) : 0;
    const steps = Array.from({ length: stepCount }, (_, i) => {
      const step = i + 1;
      const stepState = state === 'done' ? 'done'
        : state === 'pending' ? 'pending'
          : step < currentStep ? 'done' : step === currentStep ? (state === 'stopped' ? 'stopped' : 'current') : 'pending';
      return { step, weight: weights.get(step) ?? null, state: stepState };
    });
    return { name, state, steps };
  });
}

/**
 * The gates' measurements per stage, scope and objective, oldest first: observed (canary) and reference (baseline)
 * values and each criterion's threshold at the end of each measurement window.
 */
export function gateSeries(events) {
  const groups = new Map();
  const errors = [];
  for (const event of byStage(events, 'gate-measurement')) {
    const evidence = event.evidence;
    const at = Date.parse(evidence.window?.end ?? event.at);
    if (!evidence.verdict) {
      errors.push({ stage: evidence.stage, step: evidence.step, at, error: evidence.error ?? event.reason });
      continue;
    }
    for (const objective of evidence.verdict.objectives ?? []) {
      const key = `${evidence.stage}\u0000${evidence.scope ?? 'Stage'}\u0000${objective.objective}`;
      if (!groups.has(key)) {
        groups.set(key, { stage: evidence.stage, scope: evidence.scope ?? 'Stage', objective: objective.objective, measurements: [] });
      }
      groups.get(key).measurements.push({
        at,
        step: evidence.step,
        weight: evidence.weight,
        observed: objective.observed,
        reference: objective.reference,
        referencePopulation: objective.referencePopulation,
        checks: (objective.checks ?? []).map((check) => ({ criterion: check.criterion, threshold: check.threshold, held: check.held })),
        outcome: outcomeName(objective.outcome),
        pValue: objective.pValue,
        canarySamples: objective.canarySamples,
        referenceSamples: objective.referenceSamples,
        reason: objective.reason,
      });
    }
  }
  return { gates: [...groups.values()], errors };
}
