import { expect } from 'chai';
import { parseSetup } from '../../../src/facts/setup.js';
import { servicesFact, packagesFact } from '../../../src/facts/sys.js';

describe('facts/setup and the *_facts parsers', () => {
  it('parses Ansible names from the probe output', () => {
    const out =
      'id=debian\nversion_id=12\ncodename=bookworm\nname=Debian GNU/Linux\ndebian_version=12.8\narch=x86_64\nkernel=6.1.0\nsystem=Linux\nvcpus=2\nsockets=1\nmemtotal=2048000\nmemfree=1024000\nswaptotal=0\nhostname=web1\nfqdn=web1.example.com\npid1=systemd\nvirt=systemd-nspawn\nroute=default via 10.0.0.1 dev eth0\naddr=eth0 10.0.0.5/24\n';
    const f = parseSetup(out);
    expect(f).to.deep.include({
      distribution: 'Debian',
      distribution_version: '12.8',
      distribution_major_version: '12',
      distribution_release: 'bookworm',
      os_family: 'Debian',
      architecture: 'x86_64',
      processor_vcpus: 2,
      memtotal_mb: 2000,
      hostname: 'web1',
      fqdn: 'web1.example.com',
      domain: 'example.com',
      service_mgr: 'systemd',
      virtualization_type: 'systemd-nspawn',
    });
    expect(f['default_ipv4']).to.deep.equal({ address: '10.0.0.5', interface: 'eth0', prefix: '24', gateway: '10.0.0.1' });
  });
  it('no default route -> default_ipv4 is {} as in Ansible', () => {
    expect(parseSetup('id=debian\naddr=eth0 10.0.0.5/24\n')['default_ipv4']).to.deep.equal({});
  });
  it('service_facts: running, stopped, and the unit-file status', () => {
    const out =
      'u ssh.service loaded active running OpenBSD Secure Shell\nu ufw.service loaded inactive dead Uncomplicated firewall\nf ssh.service enabled enabled\nf ufw.service disabled enabled\nf rsync.service disabled enabled\n';
    expect(servicesFact.parse(out, 0)).to.deep.equal({
      'ssh.service': { name: 'ssh.service', state: 'running', status: 'enabled', source: 'systemd' },
      'ufw.service': { name: 'ufw.service', state: 'stopped', status: 'disabled', source: 'systemd' },
      'rsync.service': { name: 'rsync.service', state: 'stopped', status: 'disabled', source: 'systemd' },
    });
  });
  it('package_facts: installed packages only, a list per name', () => {
    expect(packagesFact.parse('ii \tcurl\t7.88\tamd64\nrc \told\t1\tamd64\n', 0)).to.deep.equal({
      curl: [{ name: 'curl', version: '7.88', arch: 'amd64', source: 'apt' }],
    });
  });
});
