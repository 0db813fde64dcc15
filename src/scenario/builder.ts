// The typed scenario API for test code: `scenario().connect(...).send(...).expect(...).run()`, the same steps a scenario file holds.
import type { ConnectTarget, ExpectSpec, ListenTarget, ScenarioSpec, SendSpec, StepSpec } from './scenario-format.js';
import { runScenario, type RunOptions, type ScenarioResult } from './runner.js';

/** Builds a scenario step by step; `run()` plays it, `toSpec()` gives the object a scenario file holds. */
export class ScenarioBuilder {
  private readonly list: StepSpec[] = [];

  constructor(private readonly head: Omit<ScenarioSpec, 'steps'> = {}) {}

  /** Connects (`tcp://host:port`, `udp://host:port`, `ws://host:port/path`); later steps use this connection. */
  connect(target: ConnectTarget): this {
    return this.push({ connect: target });
  }

  /** Listens (a port, 0 for any); the port is then the variable `{<as>_port}` (`{server_port}`). */
  listen(target: ListenTarget, as?: string): this {
    return this.push(as === undefined ? { listen: target } : { listen: target, as });
  }

  /** Waits for the next connection to a listener (the only one, or the one named). */
  accept(options: { from?: string; within?: number } = {}): this {
    return this.push({ accept: options.from ?? null, ...(options.within === undefined ? {} : { within: options.within }) });
  }

  /** Sends a message builder (text, `{hex:..}`, `{crc16modbus}`, variables), or `{ hex }`, or `{ file }`. */
  send(what: SendSpec): this {
    return this.push({ send: what });
  }

  /** Waits up to `within` ms for text, `/regex/` (named groups become variables), `{ hex: '01 ?? 03' }`, `{ bytes: n }` or `'closed'`. */
  expect(what: ExpectSpec | RegExp, options: { within?: number } = {}): this {
    const spec: ExpectSpec = what instanceof RegExp ? { regex: String(what) } : what;
    return this.push({ expect: spec, ...(options.within === undefined ? {} : { within: options.within }) });
  }

  sleep(ms: number): this {
    return this.push({ sleep: ms });
  }

  /** Repeats the steps `build` adds (`{i}` counts from 1). */
  repeat(times: number | 'forever', build: (s: ScenarioBuilder) => ScenarioBuilder): this {
    return this.push({ repeat: times, steps: build(new ScenarioBuilder()).toSpec().steps });
  }

  /** Runs the steps `build` adds in `branches` at once, each on its own connection (`{i}` numbers them). */
  parallel(branches: number, build: (s: ScenarioBuilder) => ScenarioBuilder): this {
    return this.push({ parallel: branches, steps: build(new ScenarioBuilder()).toSpec().steps });
  }

  /** Closes the connection (FIN). */
  close(): this {
    return this.push('close');
  }

  /** Resets the connection (RST). */
  reset(): this {
    return this.push('reset');
  }

  /** The scenario as a file would hold it. */
  toSpec(): ScenarioSpec {
    return { ...this.head, steps: [...this.list] };
  }

  /** Plays it against real peers. */
  run(options?: RunOptions): Promise<ScenarioResult> {
    return runScenario(this.toSpec(), options);
  }

  private push(step: StepSpec): this {
    this.list.push(step);
    return this;
  }
}

/** Starts a scenario: `scenario({ encoding: 'gbk' }).connect('tcp://127.0.0.1:8000').send('你好').expect(/收到/).run()`. */
export function scenario(options: Omit<ScenarioSpec, 'steps'> = {}): ScenarioBuilder {
  return new ScenarioBuilder(options);
}
