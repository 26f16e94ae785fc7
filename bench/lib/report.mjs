import { labelOf, targetsOf } from '../scenarios/index.mjs';
import { median } from './stats.mjs';

const COLUMN = 14;
const RATIO_COLUMN = 20;

/**
 * Prints one scenario's table (median, or worst for figures marked `aggregate: 'max'`, of each
 * target's rounds, and the ratio of the first target to the second, Pushgate/baseline unless the
 * scenario names its own), the problems seen, and one JSON line with everything, raw rounds
 * included.
 */
export function report(scenario, settings, runs, environment) {
  const summary = {};
  for (const [target, results] of Object.entries(runs)) {
    summary[target] = {};
    for (const { key, aggregate } of scenario.figures) {
      const values = results.map((result) => result.figures[key]);
      summary[target][key] =
        aggregate === 'max' ? Math.max(...values) : median(values);
    }
  }
  const [first, second] = targetsOf(scenario);
  const [firstLabel, secondLabel] = [first, second].map((target) =>
    labelOf(scenario, target),
  );
  const ratios = {};
  for (const { key, ratio } of scenario.figures) {
    const [measured, reference] = [summary[first][key], summary[second][key]];
    ratios[key] =
      ratio !== false && reference > 0 && Number.isFinite(measured)
        ? measured / reference
        : null;
  }

  const rounds = runs[first].length;
  const width =
    Math.max(...scenario.figures.map(({ label }) => label.length)) + 2;
  const lines = [
    '',
    `${scenario.name}: ${scenario.describe(settings)}; ${rounds === 1 ? '1 round' : `median of ${rounds} rounds`}`,
    `${''.padEnd(width)}${firstLabel.padStart(COLUMN)}${secondLabel.padStart(COLUMN)}${`${firstLabel}/${secondLabel}`.padStart(RATIO_COLUMN)}`,
  ];
  for (const { key, label, digits } of scenario.figures) {
    const ratio = ratios[key] === null ? '–' : `${ratios[key].toFixed(2)}×`;
    lines.push(
      `${label.padEnd(width)}${format(summary[first][key], digits)}${format(summary[second][key], digits)}${ratio.padStart(RATIO_COLUMN)}`,
    );
  }
  for (const [target, results] of Object.entries(runs)) {
    results.forEach(({ problems, serverOutput, serverOutputLines }, i) => {
      for (const [description, count] of Object.entries(problems)) {
        lines.push(`  ! ${target} round ${i + 1}: ${description} (×${count})`);
      }
      if (serverOutputLines > serverOutput.length) {
        lines.push(
          `  ! ${target} round ${i + 1} printed ${serverOutputLines} lines, the last ones:`,
        );
      }
      for (const line of serverOutput) {
        lines.push(`  ! ${target} round ${i + 1} printed: ${line}`);
      }
    });
  }
  console.log(lines.join('\n'));
  const everything = {
    scenario: scenario.name,
    settings,
    rounds,
    ...environment,
    [first]: summary[first],
    [second]: summary[second],
    ratio: ratios,
    runs,
  };
  // Six significant digits are more than any of these figures can claim.
  console.log(
    JSON.stringify(everything, (_, value) =>
      typeof value === 'number' && !Number.isInteger(value)
        ? Number(value.toPrecision(6))
        : value,
    ),
  );
}

function format(value, digits) {
  const text = Number.isFinite(value)
    ? value.toLocaleString('en', {
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      })
    : '–';
  return text.padStart(COLUMN);
}
