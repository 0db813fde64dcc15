// The static server's parsers fuzzed with a fixed seed: Range, request paths against a real folder with links, multipart.
import { properties, setup } from './http.props.mjs';
import { runAsTests } from './harness.mjs';

runAsTests(properties, setup);
