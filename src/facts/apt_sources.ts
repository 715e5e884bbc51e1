// apt_sources: every one-line-style sources file apt reads (/etc/apt/sources.list and
// /etc/apt/sources.list.d/*.list) with its content, in one probe. apt_repository needs all of
// them: a line already present in any file is "ok", as in Ansible. The key is a cmd: key, so
// that any change (a copy or template into sources.list.d as well) makes it probed again.
import { createHash } from 'node:crypto';
import { raw } from '../sh.js';
import { normalizeMode, type FileState } from './file.js';
import type { Fact } from './types.js';

export const SOURCES_LIST = '/etc/apt/sources.list';
export const SOURCES_DIR = '/etc/apt/sources.list.d';

/** path -> state; files with content, links as links (plumb does not edit through them). */
export type AptSources = Map<string, FileState>;

export const aptSourcesFact: Fact<AptSources> = {
  key: 'cmd:apt:sources',
  // One record per file: a tab-separated header (kind, mode, owner, group, path), then the
  // content as one base64 line. Paths come from a glob: they hold no newline.
  probe: raw(
    [
      `for f in ${SOURCES_LIST} ${SOURCES_DIR}/*.list; do`,
      `  if [ -L "$f" ]; then printf 'link\\t%s\\t%s\\n\\n' "$(stat --printf '%a\\t%U\\t%G' -- "$f")" "$f"`,
      `  elif [ -f "$f" ]; then printf 'file\\t%s\\t%s\\n' "$(stat --printf '%a\\t%U\\t%G' -- "$f")" "$f"; base64 -w0 < "$f"; echo`,
      '  fi',
      'done',
    ].join('\n'),
  ),
  parse(out) {
    const files: AptSources = new Map();
    const lines = out.split('\n');
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const [kind, mode = '', owner = '', group = '', ...rest] = lines[i]!.split('\t');
      const path = rest.join('\t');
      if (!path) continue;
      if (kind === 'link') files.set(path, { kind: 'link', target: '', mode: normalizeMode(mode), owner, group });
      else if (kind === 'file') {
        const content = Buffer.from(lines[i + 1] ?? '', 'base64');
        const sha256 = createHash('sha256').update(content).digest('hex');
        files.set(path, { kind: 'file', mode: normalizeMode(mode), owner, group, size: content.length, sha256, content });
      }
    }
    return files;
  },
};
