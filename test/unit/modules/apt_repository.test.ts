import { expect } from 'chai';
import apt_repository, { editSources, parseSourceLine, suggestFilename, type AptRepositoryArgs } from '../../../src/modules/apt_repository.js';
import { aptSourcesFact } from '../../../src/facts/apt_sources.js';
import type { FileState } from '../../../src/facts/file.js';
import { runSchemaTable, runTable, type Case } from './table.js';
import { textFile } from './edit-fixtures.js';

const MAIN = '/etc/apt/sources.list';
const REPO = 'deb [trusted=yes] file:/srv/plumb-repo ./';
// `file:` has no //: Ansible's name keeps the scheme.
const OWN = '/etc/apt/sources.list.d/file_srv_plumb_repo.list';
const sources = (files: Record<string, string | FileState>) => ({
  [aptSourcesFact.key]: new Map(Object.entries(files).map(([p, t]) => [p, typeof t === 'string' ? textFile(t) : t])),
});
const base = 'deb [trusted=yes] file:/var/local/plumb-debs ./\n';

const cases: Case<AptRepositoryArgs>[] = [
  {
    name: 'a new line goes to its own file, named after the URI, then the cache is updated',
    args: { repo: REPO },
    facts: sources({ [MAIN]: base }),
    expect: {
      status: 'changed',
      changes: 2,
      stdin: `${REPO}\n`,
      scriptMatches: [/mktemp/, /chmod 0644/, /apt-get update/],
      diff: [{ label: OWN, before: '', after: `${REPO}\n` }],
      result: { sources_added: [OWN], sources_removed: [] },
    },
  },
  { name: 'present in any file (here sources.list): ok', args: { repo: base.trim() }, facts: sources({ [MAIN]: base }), expect: { status: 'ok' } },
  {
    name: 'compared with runs of blanks made one: ok',
    args: { repo: 'deb  [trusted=yes]   file:/srv/plumb-repo ./' },
    facts: sources({ [MAIN]: base, [OWN]: `${REPO}\n` }),
    expect: { status: 'ok' },
  },
  {
    name: 'a commented-out copy is enabled again, in its file, other lines kept',
    args: { repo: REPO },
    facts: sources({ [MAIN]: `# keep me\n# ${REPO} # local\n${base}` }),
    expect: { status: 'changed', diff: [{ label: MAIN, before: `# keep me\n# ${REPO} # local\n${base}`, after: `# keep me\n${REPO} # local\n${base}` }] },
  },
  {
    name: 'update_cache: false: only the write',
    args: { repo: REPO, update_cache: false },
    facts: sources({}),
    expect: { status: 'changed', changes: 1, scriptNotMatches: [/apt-get update/] },
  },
  {
    name: 'filename: Ansible adds .list',
    args: { repo: REPO, filename: 'local' },
    facts: sources({}),
    expect: { status: 'changed', diff: [{ label: '/etc/apt/sources.list.d/local.list', before: '', after: `${REPO}\n` }] },
  },
  {
    name: 'absent: the line removed; a file left empty is deleted',
    args: { repo: REPO, state: 'absent' },
    facts: sources({ [MAIN]: base, [OWN]: `${REPO}\n` }),
    expect: {
      status: 'changed',
      scriptMatches: [/rm -f -- \/etc\/apt\/sources\.list\.d\/file_srv_plumb_repo\.list/, /apt-get update/],
      result: { sources_removed: [OWN] },
    },
  },
  {
    name: 'absent: other lines of the file stay',
    args: { repo: REPO, state: 'absent', update_cache: false },
    facts: sources({ [OWN]: `# mine\n${REPO}\n` }),
    expect: { status: 'changed', stdin: '# mine\n', diff: [{ label: OWN, before: `# mine\n${REPO}\n`, after: '# mine\n' }] },
  },
  {
    name: 'absent and not there (or only commented out): ok',
    args: { repo: REPO, state: 'absent' },
    facts: sources({ [MAIN]: `# ${REPO}\n` }),
    expect: { status: 'ok' },
  },
  {
    name: 'mode drift of its own file is a change',
    args: { repo: REPO, mode: '0600' },
    facts: sources({ [OWN]: `${REPO}\n` }),
    expect: { status: 'changed', scriptMatches: [/chmod 0600/], scriptNotMatches: [/apt-get update/] },
  },
  {
    name: 'its file is a link: refused (plumb edits no link)',
    args: { repo: REPO },
    facts: sources({ [OWN]: { kind: 'link', target: '', mode: '0777', owner: 'root', group: 'root' } }),
    expect: { status: 'error', error: /symbolic link/ },
  },
];

describe('modules/apt_repository', () => {
  runTable(apt_repository, cases);
  runSchemaTable(apt_repository, [
    // geerlingguy.docker's "Add Docker repository."
    {
      name: 'geerlingguy.docker style task',
      args: {
        repo: 'deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/debian bookworm stable',
        state: 'present',
        filename: 'docker',
        update_cache: true,
      },
      valid: true,
    },
    { name: 'a ppa: is refused with the reason', args: { repo: 'ppa:nginx/stable' }, valid: false, message: /ppa: needs Launchpad/ },
    { name: 'filename with a slash', args: { repo: REPO, filename: '../x' }, valid: false, message: /without "\.list"/ },
    { name: 'repo is required', args: { state: 'present' }, valid: false },
    { name: 'update-cache alias', args: { repo: REPO, 'update-cache': false }, valid: true },
  ]);
  it("file names as Ansible's: scheme, options and credentials dropped", () => {
    expect(suggestFilename('deb [arch=amd64] https://user:pw@download.docker.com/linux/debian bookworm stable')).to.equal('download_docker_com_linux_debian');
    expect(suggestFilename('deb http://dl.google.com/linux/chrome/deb/ stable main')).to.equal('dl_google_com_linux_chrome_deb');
  });
  it('parses lines as Ansible does', () => {
    expect(parseSourceLine('#deb  http://x  y # c')).to.deep.equal({ valid: true, enabled: false, source: 'deb http://x y', comment: 'c' });
    expect(parseSourceLine('# just a comment').valid).to.equal(false);
  });
  it('appends to a file without a final newline', () => {
    expect(editSources(new Map([[OWN, '# x']]), { repo: REPO }).get(OWN)).to.equal(`# x\n${REPO}\n`);
  });
});
