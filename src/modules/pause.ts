// pause: wait a number of seconds or minutes. As in Ansible, the wait is the controller's: a
// read-only change with no exec (Change.controllerWaitS), so it waits in check mode too and
// costs the host nothing.
import { raw } from '../sh.js';
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
    // plumb runs unattended: a pause that waits for a keypress would hang a CI run. Both at
    // once is refused: Ansible then waits the minutes and silently drops the seconds.
    oneOf: [has('seconds'), has('minutes')],
    errorMessage:
      'pause needs seconds or minutes, not both (Ansible would silently ignore seconds); plumb does not wait for a keypress (a prompt is shown only as a message)',
  },
  facts: () => [],
  plan(args) {
    const secs = args.minutes !== undefined ? 60 * args.minutes : (args.seconds ?? 0);
    const started = Date.now();
    return definePlan({
      changes: [
        {
          description: `pause ${secs}s${args.prompt ? `: ${args.prompt}` : ''}`,
          script: raw(':'),
          controllerWaitS: secs,
          invalidates: [],
          readOnly: true,
          parse: () => ({ delta: Math.round((Date.now() - started) / 1000), user_input: '', stdout: `Paused for ${secs} seconds` }),
        },
      ],
      summary: `pause ${secs}s`,
    });
  },
});
