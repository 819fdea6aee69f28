import { expect } from 'chai';
import type { StackParameters } from '../../../src/core/parameters.js';
import { parseAggregationConfig } from '../../../src/functions/aggregation.js';
import { parseStoringConfig } from '../../../src/functions/storing.js';
import { loadTemplate } from '../../../src/targets/aws/template.js';
import {
  aggregationEnvironment,
  LOCAL_TABLES,
  storingEnvironment,
} from '../../../src/targets/local/local-functions.js';
import { params } from '../../../testkit/local.js';
import { parseTemplate } from '../../../testkit/template-parser.js';

/**
 * A function's Environment.Variables in the template, resolved as CloudFormation would for a stack
 * with these parameters (a Number parameter becomes its decimal string) and the local tables.
 */
function templateEnvironment(functionId: string, parameters: StackParameters): Record<string, string> {
  const template = parseTemplate(loadTemplate());
  const properties = template.Resources[functionId]?.Properties as {
    Environment: { Variables: Record<string, { Ref: string }> };
  };
  const tables: Record<string, string> = {
    EventsTable: LOCAL_TABLES.events,
    AggregatesTable: LOCAL_TABLES.aggregates,
  };
  return Object.fromEntries(
    Object.entries(properties.Environment.Variables).map(([name, { Ref: ref }]) => {
      const value = tables[ref] ?? parameters[ref as keyof StackParameters];
      if (value === undefined) throw new Error(`${functionId}: ${name} refers to ${ref}, unknown here`);
      return [name, String(value)];
    }),
  );
}

describe('local functions', () => {
  const parameters = params({ EventTtlMinutes: 90, WindowMinutes: 15 });

  it('get the environment templates/pipeline.yaml gives the functions on AWS', () => {
    expect(storingEnvironment(parameters)).to.deep.equal(templateEnvironment('StoringFunction', parameters));
    expect(aggregationEnvironment(parameters)).to.deep.equal(
      templateEnvironment('AggregationFunction', parameters),
    );
  });

  it('read it with the parsers the Lambda entry points use', () => {
    expect(parseStoringConfig(storingEnvironment(parameters))).to.deep.equal({
      eventsTable: 'events',
      ttlMinutes: 90,
    });
    expect(parseAggregationConfig(aggregationEnvironment(parameters))).to.deep.equal({
      eventsTable: 'events',
      aggregatesTable: 'aggregates',
      windowMinutes: 15,
    });
  });
});
