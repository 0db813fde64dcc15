// Hex and templates fuzzed with a fixed seed: round trips, and errors with positions.
import { properties } from './text.props.mjs';
import { runAsTests } from './harness.mjs';

runAsTests(properties);
