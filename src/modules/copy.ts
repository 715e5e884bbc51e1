// copy: a file with given content (inline `content`, or a controller file `src`).
import { InputError } from '../errors.js';
import { defineModule } from './types.js';
import { planPutFile, putFileFacts, type PutFileArgs } from './common/put-file.js';
import { putFileSchema, has } from './common/schema.js';

export interface CopyArgs extends PutFileArgs {
  content?: string;
  src?: string;
}

function contentOf(args: CopyArgs, readLocal: (src: string) => Buffer): Buffer {
  if (args.content !== undefined) return Buffer.from(args.content, 'utf8');
  if (args.src !== undefined) return readLocal(args.src);
  throw InputError.one('copy needs either content or src');
}

export default defineModule<CopyArgs>({
  name: 'copy',
  schema: {
    type: 'object',
    properties: {
      ...putFileSchema,
      content: { type: 'string' },
      src: { type: 'string', minLength: 1 },
    },
    required: ['dest'],
    oneOf: [has('content'), has('src')],
    additionalProperties: false,
    errorMessage: 'copy needs exactly one of content or src',
  },
  facts: (args, ctx) => putFileFacts(args, ctx),
  plan: (args, facts, ctx) => planPutFile(args, contentOf(args, ctx.readLocal), facts, ctx),
});
