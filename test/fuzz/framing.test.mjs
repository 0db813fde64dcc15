// Framing fuzzed with a fixed seed: chunking never matters, only the documented error comes out, time is linear.
import { properties, linearity } from './framing.props.mjs';
import { runAsTests } from './harness.mjs';

runAsTests([...properties, linearity]);
