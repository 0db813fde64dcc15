// The bridge's message checks fuzzed with a fixed seed: any JSON value gets a clean refusal, never a throw.
import { properties } from './bridge.props.mjs';
import { runAsTests } from './harness.mjs';

runAsTests(properties);
