// Decoding fuzzed with a fixed seed: chunked equals whole in every encoding.
import { properties } from './codec.props.mjs';
import { runAsTests } from './harness.mjs';

runAsTests(properties);
