import { expect } from 'chai';
import sinon from 'sinon';
import { interruptSignal } from '../../src/cli/signals.js';

type Listener = (...args: unknown[]) => void;

describe('cli/signals', () => {
  // Other listeners (mocha's among them) must not see the signals these tests emit.
  let saved: Record<'SIGINT' | 'SIGTERM', Listener[]>;
  let exit: sinon.SinonStub;

  beforeEach(() => {
    saved = {
      SIGINT: process.listeners('SIGINT') as Listener[],
      SIGTERM: process.listeners('SIGTERM') as Listener[],
    };
    process.removeAllListeners('SIGINT');
    process.removeAllListeners('SIGTERM');
    exit = sinon.stub(process, 'exit');
  });

  afterEach(() => {
    exit.restore();
    process.removeAllListeners('SIGINT');
    process.removeAllListeners('SIGTERM');
    for (const name of ['SIGINT', 'SIGTERM'] as const) for (const l of saved[name]) process.on(name, l);
  });

  it('aborts on the first SIGINT, telling the caller once, without exiting', () => {
    const onFirst = sinon.spy();
    const { signal, dispose } = interruptSignal(onFirst);
    expect(signal.aborted).to.equal(false);
    process.emit('SIGINT', 'SIGINT');
    expect(signal.aborted).to.equal(true);
    expect(signal.reason).to.equal('SIGINT');
    expect(onFirst.calledOnceWithExactly('SIGINT')).to.equal(true);
    expect(exit.called).to.equal(false);
    dispose();
  });

  it('treats SIGTERM like SIGINT', () => {
    const { signal, dispose } = interruptSignal();
    process.emit('SIGTERM', 'SIGTERM');
    expect(signal.aborted).to.equal(true);
    expect(signal.reason).to.equal('SIGTERM');
    expect(exit.called).to.equal(false);
    dispose();
  });

  it('exits at once with 130 on a second signal', () => {
    const onFirst = sinon.spy();
    const { dispose } = interruptSignal(onFirst);
    // process.exit does not return: the stub stops the handler the same way.
    exit.throws(new Error('exited'));
    process.emit('SIGINT', 'SIGINT');
    expect(() => process.emit('SIGINT', 'SIGINT')).to.throw('exited');
    expect(exit.calledOnceWithExactly(130)).to.equal(true);
    expect(onFirst.callCount).to.equal(1);
    dispose();
  });

  it('stops listening once disposed: the default handling comes back', () => {
    const { signal, dispose } = interruptSignal();
    expect(process.listenerCount('SIGINT')).to.equal(1);
    expect(process.listenerCount('SIGTERM')).to.equal(1);
    dispose();
    expect(process.listenerCount('SIGINT')).to.equal(0);
    expect(process.listenerCount('SIGTERM')).to.equal(0);
    expect(signal.aborted).to.equal(false);
  });
});
