import { isNonPublicAddress, refuseLiteralNonPublic } from './publicAddresses';

describe('isNonPublicAddress', () => {
  it.each([
    '127.0.0.1',
    '127.255.0.9',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '::1',
    '::',
    'fd00::1',
    'fe80::1',
    '::ffff:10.0.0.1',
    '::ffff:127.0.0.1',
    '64:ff9b::7f00:1',
    '2002:7f00:1::1',
    '::7f00:1',
    'fec0::1',
  ])('refuses %s', address => {
    expect(isNonPublicAddress(address)).toBe(true);
  });

  it.each(['8.8.8.8', '172.32.0.1', '192.169.0.1', '1.1.1.1', '2001:4860:4860::8888', '::ffff:8.8.8.8'])(
    'lets %s through',
    address => {
      expect(isNonPublicAddress(address)).toBe(false);
    },
  );

  it('judges bracketed IPv6 hosts of URLs and leaves names to the lookup', () => {
    expect(refuseLiteralNonPublic(new URL('http://[::1]:8080/x'))?.code).toBe('ENONPUBLICADDRESS');
    expect(refuseLiteralNonPublic(new URL('http://10.0.0.8/x'))?.message).toMatch(/10\.0\.0\.8 is not a public address/);
    expect(refuseLiteralNonPublic(new URL('http://localhost/x'))).toBeUndefined();
    expect(refuseLiteralNonPublic(new URL('https://8.8.8.8/x'))).toBeUndefined();
  });
});
