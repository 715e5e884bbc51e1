import { expect } from 'chai';
import { HostRangeError, expandHostRange, hostsOfKey, splitHostPort } from '../../../src/inventory/hostrange.js';

// Expected values checked against ansible-core 2.14 (inventory/helpers + parsing/utils/addresses).
describe('inventory/hostrange', () => {
  const expand: Array<[string, string[]]> = [
    ['web1', ['web1']],
    ['www[01:03].example.com', ['www01.example.com', 'www02.example.com', 'www03.example.com']],
    ['db-[a:c]', ['db-a', 'db-b', 'db-c']],
    ['n[1:10:3]', ['n1', 'n4', 'n7', 'n10']],
    ['n[:2]', ['n0', 'n1', 'n2']],
    ['r[1:2]-u[8:9]', ['r1-u8', 'r1-u9', 'r2-u8', 'r2-u9']],
    ['10.0.0.[1:2]', ['10.0.0.1', '10.0.0.2']],
    ['h[001:003]', ['h001', 'h002', 'h003']],
    ['x[A:C]', ['xA', 'xB', 'xC']],
  ];
  for (const [key, want] of expand) it(`${key} -> ${want.join(' ')}`, () => expect(expandHostRange(key)).to.deep.equal(want));

  const bad: Array<[string, RegExp]> = [
    ['n[1:2:3:4]', /begin:end or begin:end:step/],
    ['n[01:100]', /equal-length/],
    ['n[c:a]', /begin <= end/],
    ['n[1:]', /end value/],
  ];
  for (const [key, msg] of bad) it(`${key} is an error`, () => expect(() => expandHostRange(key)).to.throw(HostRangeError, msg));

  const ports: Array<[string, string, number | undefined]> = [
    ['host.example.com:5309', 'host.example.com', 5309],
    ['10.0.0.1:2222', '10.0.0.1', 2222],
    ['[2001:db8::1]:2222', '2001:db8::1', 2222],
    ['2001:db8::1', '2001:db8::1', undefined],
    ['web[1:3]:22', 'web[1:3]', 22],
    ['plain', 'plain', undefined],
    ['not a host:22', 'not a host:22', undefined],
  ];
  for (const [key, pattern, port] of ports)
    it(`${key}: host ${pattern}, port ${port}`, () => {
      const r = splitHostPort(key);
      expect([r.pattern, r.port]).to.deep.equal([pattern, port]);
    });

  it('a key with a range and a port gives every host that port', () => {
    expect(hostsOfKey('w[1:2]:2200')).to.deep.equal({ names: ['w1', 'w2'], port: 2200 });
  });
});
