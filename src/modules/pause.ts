// pause: wait a number of seconds or minutes on the host's side. Inherently a read each run
// (exempt from the one-exec rule): a read-only change, so it waits in check mode too.
import { sh } from '../sh.js';
import { defineModule, definePlan } from './types.js';
import { has } from './common/schema.js';

export interface PauseArgs {
  seconds?: number;
  minutes?: number;
  prompt?: string;
  echo?: boolean;
}

export default defineModule<PauseArgs>({
  name: 'pause',
  schema: {
    type: 'object',
    properties: {
      seconds: { type: 'integer', minimum: 0 },
      minutes: { type: 'integer', minimum: 0 },
      prompt: { type: 'string' },
      echo: { type: 'boolean' },
    },
    additionalProperties: false,
    // plumb runs unattended: a pause that waits for a keypress would hang a CI run.
    anyOf: [has('seconds'), has('minutes')],
    errorMessage: 'pause needs seconds or minutes: plumb does not wait for a keypress (a prompt is shown only as a message)',
  },
  facts: () => [],
  plan(args) {
    const secs = (args.seconds ?? 0) + 60 * (args.minutes ?? 0);
    const started = Date.now();
    return definePlan({
      changes: [
        {
          description: `pause ${secs}s${args.prompt ? `: ${args.prompt}` : ''}`,
          script: sh`sleep ${secs}`,
          invalidates: [],
          readOnly: true,
          parse: () => ({ delta: Math.round((Date.now() - started) / 1000), user_input: '', stdout: `Paused for ${secs} seconds` }),
        },
      ],
      summary: `pause ${secs}s`,
    });
  },
});
