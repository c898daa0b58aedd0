/**
 * Reads Prometheus text exposition with the parse-prometheus-text-format package (a port of the
 * official Python client's parser; it throws on a line that is not valid text format).
 *
 * The package folds every series of a histogram into one entry and drops their labels, so the
 * samples are read a second time with the TYPE lines left out: each `_bucket`, `_sum` and `_count`
 * line then comes back as a sample of its own, with its labels.
 */
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedMetrics {
  /** Family name → TYPE (COUNTER, GAUGE, HISTOGRAM…). */
  types: Map<string, string>;
  samples: Sample[];
}

export function parseMetrics(text: string): ParsedMetrics {
  const families = parsePrometheusTextFormat(text);
  const types = new Map(families.map((family) => [family.name, family.type]));
  const untyped = text
    .split('\n')
    .filter((line) => !line.startsWith('# TYPE '))
    .join('\n');
  const samples = parsePrometheusTextFormat(untyped).flatMap((family) =>
    family.metrics.map((metric) => ({ name: family.name, labels: metric.labels ?? {}, value: Number(metric.value) })),
  );
  return { types, samples };
}

/** The value of the one sample with this name and these labels (among others); 0 when absent. */
export function sampleValue(metrics: ParsedMetrics, name: string, labels: Record<string, string> = {}): number {
  const matching = metrics.samples.filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value));
  if (matching.length > 1) throw new Error(`${matching.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return matching[0]?.value ?? 0;
}
