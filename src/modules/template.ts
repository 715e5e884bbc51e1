// template: an EJS template rendered on the controller (strict variables), then written
// exactly as copy writes content — atomically, validated, compared by sha256 on the host.
import { defineModule } from './types.js';
import { planPutFile, putFileFacts, type PutFileArgs } from './common/put-file.js';
import { putFileSchema } from './common/schema.js';

export interface TemplateArgs extends PutFileArgs {
  src: string;
}

export default defineModule<TemplateArgs>({
  name: 'template',
  schema: {
    type: 'object',
    properties: {
      src: { type: 'string', minLength: 1 },
      ...putFileSchema,
    },
    required: ['src', 'dest'],
    additionalProperties: false,
  },
  facts: (args, ctx) => putFileFacts(args, ctx),
  plan: (args, facts, ctx) => planPutFile(args, Buffer.from(ctx.renderTemplate(args.src), 'utf8'), facts, ctx),
});
