#!/usr/bin/env node
// The `batchcast` command. A committed, executable shim: npm links it even on a clean clone, before
// `tsc -b` has produced dist/ (whose files tsc writes without the executable bit).
import '../dist/main.js';
