import fc from 'fast-check';
import { isBounce, referencedMessageIds, senderAddress } from '../../domain/reply-matching';

describe('reply matching', () => {
  it('recognises delivery reports', () => {
    expect(isBounce({ contentType: 'multipart/report; report-type=delivery-status; boundary="b"', from: 'x@y' })).toBe(true);
    expect(isBounce({ contentType: 'multipart/report; report-type="delivery-status"', from: undefined })).toBe(true);
    expect(isBounce({ contentType: 'text/plain', from: 'MAILER-DAEMON@mx.example' })).toBe(true);
    expect(isBounce({ contentType: 'text/plain', from: 'postmaster@mx.example' })).toBe(true);
    expect(isBounce({ contentType: 'multipart/report; report-type=disposition-notification', from: 'grace@x' })).toBe(false);
    expect(isBounce({ contentType: 'text/plain', from: 'grace@x' })).toBe(false);
  });

  it('collects In-Reply-To, References and, for bounces, Pacer ids quoted in the body', () => {
    const pacer = '<pacer.0123456789abcdef01234567@pacer-test.example>';
    expect(referencedMessageIds({ inReplyTo: '<a@x>', references: '<z@x> <a@x>' })).toEqual(['<a@x>', '<z@x>']);
    expect(referencedMessageIds({ bounceBody: `Message-ID: ${pacer}\nOther: <not@ours>` })).toEqual([pacer]);
  });

  it('reads the sender address', () => {
    expect(senderAddress('Grace Hopper <Grace@Navy.MIL>')).toBe('grace@navy.mil');
    expect(senderAddress('grace@navy.mil')).toBe('grace@navy.mil');
    expect(senderAddress(undefined)).toBeUndefined();
  });

  it('property: every id put in References comes back once', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-z0-9]{1,8}@[a-z]{1,6}\.example$/), { maxLength: 6 }), (ids) => {
        const wrapped = ids.map((id) => `<${id}>`);
        return JSON.stringify(referencedMessageIds({ references: wrapped.join(' ') })) === JSON.stringify([...new Set(wrapped)]);
      }),
    );
  });
});
